package dev.qvgen.models.parity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import com.google.gson.JsonParser;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.io.ConfigReader;
import dev.qvgen.layers.nn.Tensors;
import dev.qvgen.models.sched.FlowMatchEulerScheduler;
import dev.qvgen.models.wan.WanTransformer3DModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

/**
 * Compares this port with a golden file made by the reference implementation (see the fixture
 * README): every expected tensor in the file gets one result, compared or skipped with the
 * reason, so nothing unimplemented can pass silently. The token ids and mask are checked as the
 * tokenizer's output ({@link TextAndSchedulerParity}).
 */
public final class GoldenParity {
    public static final double TOLERANCE = 1e-4;
    public static final double FRAMES_TOLERANCE = 1e-3;

    /** Golden tensors that are inputs to a component rather than outputs to check. */
    private static final Pattern INPUT = Pattern.compile(
            "tr\\.hidden_states|tr\\.timestep|tr\\.encoder_hidden_states"
                    + "|vae\\.encode\\.x|vae\\.decode\\.z|sched\\.[^.]+\\.x0|sched\\.[^.]+\\.model_output\\.\\d+"
                    + "|pipe\\.latents");

    private GoldenParity() {}

    public static List<ParityResult> run(Path pipelineDir, Path goldenFile) {
        return run(pipelineDir, goldenFile, ai.djl.Device.cpu());
    }

    /** The same comparison with the weights and inputs on {@code device} (e.g. a CUDA GPU). */
    public static List<ParityResult> run(Path pipelineDir, Path goldenFile, ai.djl.Device device) {
        String pipelineClass = pipelineClass(pipelineDir);
        try (NDManager m = NDManager.newBaseManager(device); SafeTensorsFile golden = SafeTensorsFile.open(goldenFile)) {
            Map<String, ParityResult> done = new LinkedHashMap<>();
            if (pipelineClass.equals("WanPipeline")) {
                compareWanTransformer(pipelineDir, golden, m, done);
                compareFlowEuler(pipelineDir, golden, m, done);
            }
            TextAndSchedulerParity.compare(pipelineDir, goldenFile, golden, m, done);
            if (pipelineClass.equals("CogVideoXPipeline")) {
                done.putAll(CogVideoXParity.transformer(pipelineDir, golden, m));
            }
            VaeParity.compare(pipelineDir, golden, m, done);
            PipelineParity.compare(pipelineDir, goldenFile, golden, m, done);
            List<ParityResult> out = new ArrayList<>();
            for (String name : golden.names()) {
                if (INPUT.matcher(name).matches()) {
                    continue;
                }
                out.add(done.getOrDefault(name, ParityResult.skipped(name,
                        "not implemented for " + pipelineClass + " yet")));
            }
            return out;
        }
    }

    private static String pipelineClass(Path dir) {
        Path index = dir.resolve("model_index.json");
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException(dir + ": pipeline directory not found");
        }
        try {
            return JsonParser.parseString(Files.readString(index)).getAsJsonObject().get("_class_name").getAsString();
        } catch (IOException e) {
            throw new CheckpointException(index + ": cannot read (" + e.getMessage() + ")");
        } catch (RuntimeException e) {
            throw new CheckpointException(index + ": not a diffusers model_index.json (no _class_name)");
        }
    }

    private static void compareWanTransformer(Path dir, SafeTensorsFile g, NDManager m, Map<String, ParityResult> done) {
        if (!g.names().contains("tr.out")) {
            return;
        }
        try (NDScope scope = new NDScope()) {
            WanTransformer3DModel model = WanTransformer3DModel.fromPretrained(dir.resolve("transformer"), m);
            AtomicReference<NDArray> block0 = new AtomicReference<>();
            model.setBlockObserver((i, x) -> {
                if (i == 0) {
                    block0.set(x.duplicate());
                }
            });
            NDArray out = model.forward(g.load("tr.hidden_states", m), g.load("tr.timestep", m),
                    g.load("tr.encoder_hidden_states", m));
            put(done, "tr.out", out, g, m);
            if (g.names().contains("tr.block0_out")) {
                put(done, "tr.block0_out", block0.get(), g, m);
            }
        }
    }

    private static void compareFlowEuler(Path dir, SafeTensorsFile g, NDManager m, Map<String, ParityResult> done) {
        String p = "sched.flow_euler.";
        if (!g.names().contains(p + "sigmas")) {
            return;
        }
        ConfigReader cfg = ConfigReader.open(dir.resolve("scheduler/scheduler_config.json"));
        double shift = cfg.has("flow_shift") ? cfg.getDouble("flow_shift") : cfg.has("shift") ? cfg.getDouble("shift") : 1.0;
        int train = cfg.has("num_train_timesteps") ? cfg.getInt("num_train_timesteps") : 1000;
        int steps = (int) g.info(p + "timesteps").numel();
        try (NDScope scope = new NDScope()) {
            FlowMatchEulerScheduler s = new FlowMatchEulerScheduler(train, shift);
            s.setTimesteps(steps);
            put(done, p + "sigmas", m.create(s.sigmas()), g, m);
            put(done, p + "timesteps", m.create(s.timesteps()), g, m);
            NDArray x = g.load(p + "x0", m);
            for (int i = 0; i < steps; i++) {
                x = s.step(g.load(p + "model_output." + i, m), i, x);
                put(done, p + "prev_sample." + i, x, g, m);
            }
        }
    }

    private static void put(Map<String, ParityResult> done, String name, NDArray actual, SafeTensorsFile g, NDManager m) {
        NDArray expected = g.load(name, m);
        double tol = name.equals("pipe.frames") ? FRAMES_TOLERANCE : TOLERANCE;
        double err = expected.getShape().equals(actual.getShape()) ? Tensors.relativeL2(actual, expected) : Double.NaN;
        done.put(name, ParityResult.compared(name, err, tol));
    }
}

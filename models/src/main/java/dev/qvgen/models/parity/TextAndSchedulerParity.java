package dev.qvgen.models.parity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.nn.Tensors;
import dev.qvgen.models.sched.CogVideoXDDIMScheduler;
import dev.qvgen.models.sched.UniPCMultistepScheduler;
import dev.qvgen.models.text.T5EncoderModel;
import dev.qvgen.models.text.T5Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The tokenizer, text-encoder ({@code te.*}) and scheduler ({@code sched.*}) part of {@link
 * GoldenParity}, for every family: the tokenizer against {@code te.input_ids} and {@code
 * te.attention_mask} (prompt and length from {@code golden.json}), the T5/UMT5 encoder from the
 * golden ids, and each scheduler the golden holds and this port has, on the pipeline's own
 * {@code scheduler_config.json}.
 */
final class TextAndSchedulerParity {
    private TextAndSchedulerParity() {}

    static void compare(Path pipelineDir, Path goldenFile, SafeTensorsFile g, NDManager m,
            Map<String, ParityResult> done) {
        Set<String> names = g.names();
        if (names.contains("te.input_ids")) {
            compareTokenizer(pipelineDir, goldenFile, g, m, done);
        }
        if (names.contains("te.last_hidden_state") || names.contains("te.last_hidden_state_nomask")) {
            compareEncoder(pipelineDir, g, m, done);
        }
        Set<String> schedulers = new TreeSet<>();
        for (String n : names) {
            if (n.startsWith("sched.")) {
                schedulers.add(n.split("\\.")[1]);
            }
        }
        Path config = pipelineDir.resolve("scheduler/scheduler_config.json");
        for (String s : schedulers) {
            String p = "sched." + s + ".";
            switch (s) {
                case "unipc":
                    compareUniPC(config, p, g, m, done);
                    break;
                case "ddim":
                    compareCogVideoXDdim(config, p, g, m, done);
                    break;
                default:
                    break; // flow_euler is compared by GoldenParity; others stay "not implemented"
            }
        }
    }

    private static void compareTokenizer(Path dir, Path goldenFile, SafeTensorsFile g, NDManager m,
            Map<String, ParityResult> done) {
        Path settings = goldenFile.resolveSibling("golden.json");
        if (!Files.isRegularFile(settings)) {
            done.put("te.input_ids", ParityResult.skipped("te.input_ids", "no golden.json with the prompt"));
            done.put("te.attention_mask", ParityResult.skipped("te.attention_mask", "no golden.json with the prompt"));
            return;
        }
        JsonObject s;
        try {
            s = JsonParser.parseString(Files.readString(settings)).getAsJsonObject();
        } catch (IOException e) {
            throw new CheckpointException(settings + ": cannot read (" + e.getMessage() + ")", e);
        }
        String prompt = s.get("prompt").getAsString();
        int max = s.get("max_sequence_length").getAsInt();
        try (NDScope scope = new NDScope();
                T5Tokenizer tok = T5Tokenizer.fromPretrained(dir.resolve("tokenizer"), max)) {
            T5Tokenizer.Tokens t = tok.encode(prompt);
            put(done, "te.input_ids", t.inputIds(m), g, m);
            put(done, "te.attention_mask", t.attentionMask(m), g, m);
        }
    }

    private static void compareEncoder(Path dir, SafeTensorsFile g, NDManager m, Map<String, ParityResult> done) {
        try (NDScope scope = new NDScope()) {
            T5EncoderModel te = T5EncoderModel.fromPretrained(dir.resolve("text_encoder"), m);
            NDArray ids = g.load("te.input_ids", m);
            if (g.names().contains("te.last_hidden_state")) {
                put(done, "te.last_hidden_state", te.forward(ids, g.load("te.attention_mask", m)), g, m);
            }
            if (g.names().contains("te.last_hidden_state_nomask")) {
                put(done, "te.last_hidden_state_nomask", te.forward(ids, null), g, m);
            }
        }
    }

    private static void compareUniPC(Path config, String p, SafeTensorsFile g, NDManager m,
            Map<String, ParityResult> done) {
        int steps = (int) g.info(p + "timesteps").numel();
        try (NDScope scope = new NDScope()) {
            UniPCMultistepScheduler s = UniPCMultistepScheduler.fromConfig(config);
            s.setTimesteps(steps);
            if (g.names().contains(p + "sigmas")) {
                put(done, p + "sigmas", m.create(s.sigmas()), g, m);
            }
            put(done, p + "timesteps", m.create(s.timestepsAsFloat()), g, m);
            NDArray x = g.load(p + "x0", m);
            for (int i = 0; i < steps; i++) {
                x = s.step(g.load(p + "model_output." + i, m), x);
                put(done, p + "prev_sample." + i, x, g, m);
            }
        }
    }

    private static void compareCogVideoXDdim(Path config, String p, SafeTensorsFile g, NDManager m,
            Map<String, ParityResult> done) {
        int steps = (int) g.info(p + "timesteps").numel();
        try (NDScope scope = new NDScope()) {
            CogVideoXDDIMScheduler s = CogVideoXDDIMScheduler.fromConfig(config);
            s.setTimesteps(steps);
            put(done, p + "timesteps", m.create(s.timestepsAsFloat()), g, m);
            long[] t = s.timesteps();
            NDArray x = g.load(p + "x0", m);
            for (int i = 0; i < steps; i++) {
                x = s.step(g.load(p + "model_output." + i, m), t[i], x);
                put(done, p + "prev_sample." + i, x, g, m);
            }
        }
    }

    private static void put(Map<String, ParityResult> done, String name, NDArray actual, SafeTensorsFile g,
            NDManager m) {
        NDArray expected = g.load(name, m).toType(DataType.FLOAT32, false);
        NDArray a = actual.toType(DataType.FLOAT32, false);
        double err = expected.getShape().equals(a.getShape()) ? Tensors.relativeL2(a, expected) : Double.NaN;
        done.put(name, ParityResult.compared(name, err, GoldenParity.TOLERANCE));
    }
}

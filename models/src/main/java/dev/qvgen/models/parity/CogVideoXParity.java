package dev.qvgen.models.parity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import dev.qvgen.models.cogvideox.CogVideoXTransformer3DModel;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.nn.Tensors;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The CogVideoX transformer's part of {@link GoldenParity}: one forward from the golden inputs
 * gives {@code tr.out} and {@code tr.block0_out} (the video tokens after block 0); for RoPE
 * models the tables built from the latent size are compared with {@code tr.rope_cos/sin}, which
 * the reference pipeline built and passed in.
 */
public final class CogVideoXParity {
    private CogVideoXParity() {}

    /** Results keyed by golden tensor name; empty when the golden file has no transformer case. */
    public static Map<String, ParityResult> transformer(Path pipelineDir, SafeTensorsFile g, NDManager m) {
        Map<String, ParityResult> done = new LinkedHashMap<>();
        if (!g.names().contains("tr.out")) {
            return done;
        }
        try (NDScope scope = new NDScope()) {
            CogVideoXTransformer3DModel model =
                    CogVideoXTransformer3DModel.fromPretrained(pipelineDir.resolve("transformer"), m);
            AtomicReference<NDArray> block0 = new AtomicReference<>();
            model.setBlockObserver((i, x) -> {
                if (i == 0) {
                    block0.set(x.duplicate());
                }
            });
            NDArray latents = g.load("tr.hidden_states", m);
            NDArray out = model.forward(latents, g.load("tr.timestep", m), g.load("tr.encoder_hidden_states", m));
            put(done, "tr.out", out, g, m);
            if (g.names().contains("tr.block0_out")) {
                put(done, "tr.block0_out", block0.get(), g, m);
            }
            if (g.names().contains("tr.rope_cos") && model.config().useRotaryPositionalEmbeddings()) {
                var s = latents.getShape();
                NDList tables = model.rotaryTables(m, (int) s.get(1), (int) s.get(3), (int) s.get(4));
                put(done, "tr.rope_cos", tables.get(0), g, m);
                put(done, "tr.rope_sin", tables.get(1), g, m);
            }
        }
        return done;
    }

    private static void put(Map<String, ParityResult> done, String name, NDArray actual, SafeTensorsFile g,
            NDManager m) {
        NDArray expected = g.load(name, m);
        double err = expected.getShape().equals(actual.getShape()) ? Tensors.relativeL2(actual, expected) : Double.NaN;
        done.put(name, ParityResult.compared(name, err, GoldenParity.TOLERANCE));
    }
}

package dev.qvgen.quantizer.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsWriter;
import dev.qvgen.models.wan.WanTransformer3DModel;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.qat.ClipGroupRule;
import dev.qvgen.quantizer.qat.ClippedDynamicActQuantizer;
import dev.qvgen.quantizer.qat.QatLayers;
import dev.qvgen.quantizer.qat.QatLinearKernel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A released-layout checkpoint (official QuantLinear names), written from a fake-quantized tiny Wan
 * transformer with random quantizer parameters, loads into a model that computes the same; the
 * official clip-group rules pick the groups the official code picks.
 */
class ReleasedQvgenCheckpointTest {
    static final Path WAN = Path.of("../shared/fixtures/golden/wan2.1/pipeline/transformer");
    static final int GROUPS = 50;

    static NDArray gaussian(NDManager m, long seed, Shape shape, float scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian() * scale;
        }
        return m.create(v, shape);
    }

    static float[] run(WanTransformer3DModel model, NDManager m, float t) {
        return model.forward(gaussian(m, 1, new Shape(1, 16, 2, 4, 4), 1f), m.create(new float[] {t}),
                gaussian(m, 2, new Shape(1, 8, 32), 1f)).toFloatArray();
    }

    /** A QAT model on every linear (as the official training), quantizer parameters moved off their initial values. */
    static QatLayers fakeQuantized(WanTransformer3DModel model, NDManager m) {
        QatLayers q = QatLayers.install(model, QuantSpec.W4A4, name -> true, 0, GROUPS, m);
        long seed = 10;
        for (QatLinearKernel k : q.kernels().values()) {
            NDArray s = k.weightQuantizer().scale();
            NDArray z = k.weightQuantizer().zero();
            s.set(s.mul(gaussian(m, seed++, s.getShape(), 0.1f).add(1f)).toFloatArray());
            z.set(z.add(gaussian(m, seed++, z.getShape(), 0.4f)).toFloatArray());
            ClippedDynamicActQuantizer a = k.activationQuantizer();
            a.lowerLogits().set(gaussian(m, seed++, new Shape(GROUPS), 1.5f).add(2f).toFloatArray());
            a.upperLogits().set(gaussian(m, seed++, new Shape(GROUPS), 1.5f).add(2f).toFloatArray());
        }
        return q;
    }

    /** The state dict the official trainer saves: QuantLinear's w, b, wquantizer.*, aquantizer.*. */
    static Path writeReleased(Path dir, WanTransformer3DModel model, QatLayers q, NDManager m) throws Exception {
        Map<String, NDArray> t = new LinkedHashMap<>();
        model.namedParameters().forEach((name, p) -> {
            String layer = name.replaceAll("\\.(weight|bias)$", "");
            if (q.kernels().containsKey(layer)) {
                t.put(layer + (name.endsWith(".weight") ? ".w" : ".b"), p.getArray());
            } else {
                t.put(name, p.getArray());
            }
        });
        q.kernels().forEach((layer, k) -> {
            t.put(layer + ".wquantizer.scale", k.weightQuantizer().scale());
            t.put(layer + ".wquantizer.zero_point", k.weightQuantizer().zero());
            t.put(layer + ".aquantizer.upper", k.activationQuantizer().upperLogits());
            t.put(layer + ".aquantizer.lower", k.activationQuantizer().lowerLogits());
        });
        Path file = dir.resolve(ReleasedQvgenCheckpoint.BASE_NAME + ".safetensors");
        SafeTensorsWriter.write(file, t, Map.of());
        return dir;
    }

    @Test
    void loadedModelComputesWhatTheFakeQuantizedModelComputes(@TempDir Path tmp) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            WanTransformer3DModel trained = WanTransformer3DModel.fromPretrained(WAN, m);
            QatLayers q = fakeQuantized(trained, m);
            assertTrue(q.kernels().containsKey("condition_embedder.time_embedder.linear_1")
                    && q.kernels().containsKey("proj_out"), "every linear, as the official replace_linear");
            float[] fake = run(trained, m, 500f);
            Path dir = writeReleased(tmp, trained, q, m);
            assertTrue(ReleasedQvgenCheckpoint.looksReleased(dir));

            WanTransformer3DModel fresh = WanTransformer3DModel.fromPretrained(WAN, m);
            Map<String, DeployedLinearKernel> k = ReleasedQvgenCheckpoint.load(dir, fresh, m,
                    new ReleasedQvgenCheckpoint.Options(4, 4, ClipGroupRule.NOISE_LEVEL));
            assertEquals(q.kernels().keySet(), k.keySet());
            assertArrayEquals(fake, run(fresh, m, 500f), "same parameters, same outputs");
            assertFalse(Arrays.equals(fake, run(WanTransformer3DModel.fromPretrained(WAN, m), m, 500f)),
                    "and not what the full-precision model computes");
        }
    }

    @Test
    void officialInferenceCountsCallsDownFromTheLastGroup(@TempDir Path tmp) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            WanTransformer3DModel trained = WanTransformer3DModel.fromPretrained(WAN, m);
            QatLayers q = fakeQuantized(trained, m);
            // t = 999 is group 49 by noise level, the group the official countdown starts at.
            float[] fake999 = run(trained, m, 999f);
            Path dir = writeReleased(tmp, trained, q, m);
            WanTransformer3DModel released = WanTransformer3DModel.fromPretrained(WAN, m);
            Map<String, DeployedLinearKernel> k = ReleasedQvgenCheckpoint.load(dir, released, m,
                    ReleasedQvgenCheckpoint.Options.officialW4A4());
            assertArrayEquals(fake999, run(released, m, 999f), "call 0 uses group 49");
            assertFalse(Arrays.equals(fake999, run(released, m, 999f)), "call 1 (Wan's CFG pass) uses group 48");
            k.values().forEach(DeployedLinearKernel::restartCountdown);
            assertArrayEquals(fake999, run(released, m, 999f), "restarted: group 49 again");
            run(released, m, 500f);
            assertArrayEquals(fake999, run(released, m, 999f), "a rising timestep is a new generation");

            // The rule survives this harness's own export format.
            Map<String, PackedLinear> packed = new LinkedHashMap<>();
            k.forEach((name, kernel) -> packed.put(name, kernel.packed()));
            Path export = tmp.resolve("released-as-export.safetensors");
            PackedExport.write(export, released, packed, Map.of("method", "qvgen-released"));
            WanTransformer3DModel again = WanTransformer3DModel.fromPretrained(WAN, m);
            PackedExport.load(export, again, m);
            assertArrayEquals(fake999, run(again, m, 999f));
            assertFalse(Arrays.equals(fake999, run(again, m, 999f)), "still counting down after the round trip");
        }
    }

    @Test
    void groupRulesPickTheOfficialGroups() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray lower = gaussian(m, 5, new Shape(GROUPS), 2f);
            NDArray upper = gaussian(m, 6, new Shape(GROUPS), 2f);
            NDArray x = gaussian(m, 7, new Shape(1, 6, 16), 1f);
            ClippedDynamicActQuantizer byLevel = new ClippedDynamicActQuantizer(4, lower, upper);
            // group g by noise level at t = 20 g + 10
            java.util.function.IntFunction<float[]> group = g -> byLevel.forward(x,
                    m.create(new float[] {20f * g + 10f})).toFloatArray();

            ClippedDynamicActQuantizer mod = new ClippedDynamicActQuantizer(4, lower, upper, ClipGroupRule.TIMESTEP_MOD);
            assertArrayEquals(group.apply(37), mod.forward(x, m.create(new float[] {537f})).toFloatArray(),
                    "int(537) mod 50 = 37");
            assertArrayEquals(group.apply(0), mod.forward(x, m.create(new float[] {950.7f})).toFloatArray(),
                    "int(950.7) mod 50 = 0");

            ClippedDynamicActQuantizer count = new ClippedDynamicActQuantizer(4, lower, upper,
                    ClipGroupRule.CALL_COUNTDOWN);
            for (int call = 0; call < 55; call++) {
                float t = 999f - call; // falling within one generation
                int expected = Math.max(GROUPS - 1 - call, 0);
                assertArrayEquals(group.apply(expected), count.forward(x, m.create(new float[] {t})).toFloatArray(),
                        "call " + call + " uses group " + expected);
            }
            assertArrayEquals(group.apply(49), count.forward(x, m.create(new float[] {999f})).toFloatArray(),
                    "a new generation restarts at group 49");
        }
    }

    @Test
    void mismatchedCheckpointsAreOneLineErrors(@TempDir Path tmp) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path file = tmp.resolve("odd.safetensors");
            SafeTensorsWriter.write(file, Map.of("blocks.9.ffn.net.0.proj.wquantizer.scale",
                    m.ones(new Shape(4, 1))), Map.of());
            CheckpointException e = assertThrows(CheckpointException.class, () -> ReleasedQvgenCheckpoint.load(file,
                    WanTransformer3DModel.fromPretrained(WAN, m), m, ReleasedQvgenCheckpoint.Options.officialW4A4()));
            assertTrue(e.getMessage().contains("blocks.9.ffn.net.0.proj is not a linear layer"), e.getMessage());
            Path plain = tmp.resolve("plain.safetensors");
            SafeTensorsWriter.write(plain, Map.of("proj_out.weight", m.ones(new Shape(4, 1))), Map.of());
            e = assertThrows(CheckpointException.class, () -> ReleasedQvgenCheckpoint.load(plain,
                    WanTransformer3DModel.fromPretrained(WAN, m), m, ReleasedQvgenCheckpoint.Options.officialW4A4()));
            assertTrue(e.getMessage().contains("no quantized layers"), e.getMessage());
        }
    }
}

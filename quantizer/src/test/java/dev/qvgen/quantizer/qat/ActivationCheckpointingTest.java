package dev.qvgen.quantizer.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;

import dev.qvgen.layers.nn.Autocast;
import dev.qvgen.layers.train.ActivationCheckpointing;
import dev.qvgen.layers.train.AdamW;
import dev.qvgen.layers.train.Blockwise;
import dev.qvgen.models.cogvideox.CogVideoXTransformer3DModel;
import dev.qvgen.models.family.DenoisingTransformer;
import dev.qvgen.models.family.ModelFamilies;
import dev.qvgen.models.wan.WanTransformer3DModel;
import dev.qvgen.models.zoo.TransformerSpec;
import dev.qvgen.models.zoo.TransformerWorkload;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.QuantSpec;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-block activation checkpointing gives the gradients of the ordinary backward: the golden
 * Wan2.1 and CogVideoX-2B transformers with QVGen's W4A4 quantizers and Φ on every block linear,
 * float32, every trained tensor's gradient compared (relative L2). The recomputation repeats the
 * same float operations, so the only difference allowed is the order in which the gradient of the
 * inputs every block shares is summed.
 */
class ActivationCheckpointingTest {
    private static final Path GOLDEN = Path.of("../shared/fixtures/golden");

    @Test
    void wanGradientsMatchTheOrdinaryBackward() {
        compare("wan2.1", 5, 32, 32);
    }

    @Test
    void cogVideoXGradientsMatchTheOrdinaryBackward() {
        compare("cogvideox-2b", 9, 32, 32);
    }

    /** Mixed precision (bf16 products) through the checkpointed path: float32 gradients, near the float32 ones. */
    @Test
    void bf16ProductsGiveFloat32GradientsNearTheFloat32Ones() {
        try (NDManager m = NDManager.newBaseManager()) {
            Setup fp = setup("wan2.1", 5, 32, 32, m);
            List<float[]> reference = gradients(fp, false, false);
            List<float[]> mixed = gradients(fp, true, true);
            for (NDArray a : fp.trained) {
                assertEquals(DataType.FLOAT32, a.getGradient().getDataType());
            }
            double err = relativeL2(reference, mixed);
            // bfloat16 keeps 8 bits of mantissa: the gradients agree to about 1%, and differ
            assertTrue(err < 0.05, "bf16 products moved the gradients by " + err);
            assertTrue(err > 1e-6, "bf16 products changed nothing: were they applied? " + err);
        }
    }

    private static void compare(String family, int frames, int height, int width) {
        try (NDManager m = NDManager.newBaseManager()) {
            Setup s = setup(family, frames, height, width, m);
            List<float[]> plain = gradients(s, false, false);
            List<float[]> checkpointed = gradients(s, true, false);
            double err = relativeL2(plain, checkpointed);
            assertTrue(err < 1e-5, family + ": checkpointed gradients differ by " + err);
            assertFalse(plain.stream().allMatch(g -> norm(g) == 0), "no gradient reached the parameters");
        }
    }

    private record Setup(DenoisingTransformer model, NDList inputs, List<NDArray> trained, QatLayers layers) {}

    private static Setup setup(String family, int frames, int height, int width, NDManager m) {
        Path dir = GOLDEN.resolve(family).resolve("pipeline/transformer");
        DenoisingTransformer t = ModelFamilies.of(GOLDEN.resolve(family).resolve("pipeline")).loadTransformer(dir, m);
        TransformerSpec spec = t instanceof WanTransformer3DModel w ? new TransformerSpec.Wan(w.config())
                : new TransformerSpec.CogVideoX(((CogVideoXTransformer3DModel) t).config());
        NDList in = new TransformerWorkload(spec, 1, frames, height, width).randomInputs(m, DataType.FLOAT32, 7);
        in.set(1, m.create(new float[] {421f}));
        QatLayers layers = QatLayers.install(t.module(), new QuantSpec(4, 4), LayerSelection.insideBlocks(t.blockPrefixes()),
                new QatLayers.Options(4, 0, ClippedDynamicActQuantizer.DEFAULT_GROUPS), m);
        List<NDArray> trained = new ArrayList<>();
        for (AdamW.Group g : layers.groups(t.module(), QatLayers.LearningRates.official())) {
            trained.addAll(g.arrays());
        }
        trained.forEach(a -> a.setRequiresGradient(true));
        return new Setup(t, in, trained, layers);
    }

    private static List<float[]> gradients(Setup s, boolean checkpointed, boolean bf16) {
        try (NDScope scope = new NDScope(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.zeroGradients();
            NDArray x = s.inputs.get(0);
            NDArray t = s.inputs.get(1);
            NDArray c = s.inputs.get(2);
            if (checkpointed) {
                Blockwise net = s.model.blockwise(x, t, c);
                ActivationCheckpointing.backward(bf16 ? net.withBf16Products() : net, out -> out.square().mean(), 0.5f, gc);
            } else if (bf16) {
                try (var on = Autocast.bf16()) {
                    gc.backward(s.model.forward(x, t, c).square().mean().mul(0.5f));
                }
            } else {
                gc.backward(s.model.forward(x, t, c).square().mean().mul(0.5f));
            }
            List<float[]> out = new ArrayList<>();
            for (NDArray a : s.trained) {
                out.add(a.getGradient().toFloatArray());
            }
            return out;
        }
    }

    private static double relativeL2(List<float[]> a, List<float[]> b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.size(); i++) {
            for (int j = 0; j < a.get(i).length; j++) {
                double d = a.get(i)[j] - b.get(i)[j];
                num += d * d;
                den += (double) a.get(i)[j] * a.get(i)[j];
            }
        }
        return Math.sqrt(num / Math.max(den, 1e-30));
    }

    private static double norm(float[] g) {
        double s = 0;
        for (float v : g) {
            s += v * v;
        }
        return Math.sqrt(s);
    }
}

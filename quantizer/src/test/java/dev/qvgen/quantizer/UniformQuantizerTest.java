package dev.qvgen.quantizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.Linear;

import org.junit.jupiter.api.Test;

import java.util.List;

class UniformQuantizerTest {
    @Test
    void weightPerChannelMatchesHandComputedCase() {
        try (NDManager m = NDManager.newBaseManager()) {
            // 3 bits: qmax = 3, scale = 1/3 per row; w/s = [1.5, -3, 0.75, 0.3] -> round-half-even [2, -3, 1, 0]
            NDArray w = m.create(new float[] {0.5f, -1f, 0.25f, 0.1f, 2f, 1f, -2f, 0f}, new Shape(2, 4));
            // row 2: scale 2/3, w/s = [3, 1.5, -3, 0] -> [3, 2, -3, 0] -> [2, 4/3, -2, 0]
            float[] q = UniformQuantizer.weightPerChannel(w, 3).toFloatArray();
            assertArrayEquals(new float[] {2 / 3f, -1f, 1 / 3f, 0f, 2f, 4 / 3f, -2f, 0f}, q, 1e-6f);
        }
    }

    @Test
    void activationPerTokenMatchesHandComputedCase() {
        try (NDManager m = NDManager.newBaseManager()) {
            // 2 bits: min -1, max 2 -> scale 1, zero point 1; x/s + z = [0, 1.2, 1.5, 3] -> [0, 1, 2, 3]
            NDArray x = m.create(new float[] {-1f, 0.2f, 0.5f, 2f, 0f, 1f, 2f, 3f}, new Shape(2, 4));
            float[] q = UniformQuantizer.activationPerToken(x, 2).toFloatArray();
            assertArrayEquals(new float[] {-1f, 0f, 0f, 2f, 0f, 1f, 2f, 3f}, q, 1e-6f);
        }
    }

    @Test
    void errorShrinksWithMoreBits() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(3);
            NDArray w = m.randomNormal(new Shape(16, 32));
            double prev = Double.MAX_VALUE;
            for (int b : new int[] {2, 3, 4, 8}) {
                double err = UniformQuantizer.weightPerChannel(w, b).sub(w).square().mean().getFloat();
                assertTrue(err < prev, b + " bits: " + err + " !< " + prev);
                prev = err;
            }
        }
    }

    @Test
    void rtnQuantizesOnlySelectedLayersAndRestores() {
        try (NDManager m = NDManager.newBaseManager()) {
            ToyNet net = new ToyNet(m);
            NDArray x = m.randomNormal(new Shape(3, 8));
            NDArray fp = net.forward(x);
            List<String> done = new Rtn().apply(net, QuantSpec.W3A3, LayerSelection.insideBlocks(java.util.List.of("blocks.")));
            assertEquals(List.of("blocks.0"), done);
            NDArray q = net.forward(x);
            assertTrue(q.sub(fp).abs().max().getFloat() > 1e-3f, "W3A3 must change the output");
            Rtn.restore(net);
            assertTrue(net.forward(x).sub(fp).abs().max().getFloat() < 1e-6f);
        }
    }

    @Test
    void parsesPresetsAndRejectsBadBits() {
        assertEquals(QuantSpec.W4A8, QuantSpec.parse("W4A8"));
        assertEquals("w3a3", QuantSpec.parse("w3a3").label());
        assertThrows(IllegalArgumentException.class, () -> QuantSpec.parse("w1a4"));
        assertThrows(IllegalArgumentException.class, () -> QuantSpec.parse("int4"));
    }

    /** blocks.0 (quantized) then head (kept full precision). */
    static final class ToyNet extends dev.qvgen.layers.nn.Module {
        final Linear block;
        final Linear head;

        ToyNet(NDManager m) {
            dev.qvgen.layers.nn.ModuleList<Linear> blocks = child("blocks", new dev.qvgen.layers.nn.ModuleList<>());
            block = blocks.add(new Linear(8, 8, true));
            head = child("head", new Linear(8, 4, true));
            m.getEngine().setRandomSeed(1);
            namedParameters().forEach((k, p) -> p.setArray(m.randomNormal(
                    dev.qvgen.layers.io.WeightLoader.declaredShapes(this).get(k))));
        }

        NDArray forward(NDArray x) {
            return head.forward(block.forward(x));
        }
    }
}

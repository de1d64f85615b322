package dev.qvgen.layers.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

class LinearTest {
    @Test
    void productOfAThreeAxisInputWithBiasEqualsTheFormulaAndKeepsTheLeadingAxes() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.arange(24f).div(10f).reshape(2, 3, 4);
            NDArray w = m.arange(20f).sub(7f).div(5f).reshape(5, 4);
            NDArray b = m.create(new float[] {0.5f, -1f, 2f, 0f, 3f});
            Shape before = x.getShape();
            NDArray y = Linear.product(x, w, b);
            assertEquals(new Shape(2, 3, 5), y.getShape());
            assertEquals(new Shape(2, 3, 4), x.getShape(), "the input's shape is left as it was");
            assertEquals(before, x.getShape());
            float[] xs = x.toFloatArray();
            float[] ws = w.toFloatArray();
            float[] bs = b.toFloatArray();
            float[] ys = y.toFloatArray();
            for (int r = 0; r < 6; r++) {
                for (int o = 0; o < 5; o++) {
                    double e = bs[o];
                    for (int i = 0; i < 4; i++) {
                        e += (double) xs[r * 4 + i] * ws[o * 4 + i];
                    }
                    assertEquals(e, ys[r * 5 + o], 1e-5, "row " + r + " out " + o);
                }
            }
            // the flattened path and the unflattened ones agree
            float[] noBias = Linear.product(x, w, null).toFloatArray();
            float[] flat = Linear.product(x.reshape(6, 4), w, b).toFloatArray();
            for (int i = 0; i < ys.length; i++) {
                assertEquals(ys[i], flat[i], 1e-6);
                assertEquals(ys[i] - bs[i % 5], noBias[i], 1e-5);
            }
            // four axes take the flattened path too, one axis the plain one
            float[] four = Linear.product(x.expandDims(0), w, b).toFloatArray();
            for (int i = 0; i < ys.length; i++) {
                assertEquals(ys[i], four[i], 1e-6);
            }
            float[] one = Linear.product(x.get(1, 2), w, b).toFloatArray();
            for (int o = 0; o < 5; o++) {
                assertEquals(ys[5 * 5 + o], one[o], 1e-5);
            }
        }
    }
}

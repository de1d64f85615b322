package dev.qvgen.quantizer.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

class LsqPlusWeightQuantizerTest {
    @Test
    void forwardMatchesHandComputedCase() {
        try (NDManager m = NDManager.newBaseManager()) {
            // 2 bits (levels 0..3), s = 0.5, z = 2: w/s + z = [0, 2, 3, 4, 2.6] -> codes [0, 2, 3, 3, 3]
            // -> s (q - z) = [-1, 0, 0.5, 0.5, 0.5]
            LsqPlusWeightQuantizer q = new LsqPlusWeightQuantizer(2, m.create(new float[] {0.5f}, new Shape(1, 1)),
                    m.create(new float[] {2f}, new Shape(1, 1)), 5);
            NDArray w = m.create(new float[] {-1f, 0f, 0.5f, 1f, 0.3f}, new Shape(1, 5));
            assertArrayEquals(new float[] {-1f, 0f, 0.5f, 0.5f, 0.5f}, q.forward(w).toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {0f, 2f, 3f, 3f, 3f}, q.codes(w).toFloatArray());
        }
    }

    @Test
    void mseInitialisationBeatsMinMaxRange() {
        try (NDManager m = NDManager.newBaseManager()) {
            // A heavy-tailed row: the MSE search shrinks the range below [min, max].
            float[] v = new float[64];
            SplittableRandom r = new SplittableRandom(5);
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (r.nextDouble() - 0.5) * 0.2f;
            }
            v[7] = 3f;
            NDArray w = m.create(v, new Shape(1, 64));
            LsqPlusWeightQuantizer mse = LsqPlusWeightQuantizer.initialise(w, 3, m);
            LsqPlusWeightQuantizer minMax = new LsqPlusWeightQuantizer(3,
                    m.create(new float[] {(3f - w.min().getFloat()) / 7f}, new Shape(1, 1)),
                    m.create(new float[] {-w.min().getFloat() / ((3f - w.min().getFloat()) / 7f)}, new Shape(1, 1)), 64);
            double eMse = mse.forward(w).sub(w).abs().pow(2.4).sum().getFloat();
            double eMinMax = minMax.forward(w).sub(w).abs().pow(2.4).sum().getFloat();
            assertTrue(eMse <= eMinMax, eMse + " > " + eMinMax);
            assertTrue(mse.scale().getFloat() < (3f - w.min().getFloat()) / 7f, "the range must shrink");
        }
    }

    /**
     * The straight-through gradients equal finite differences of the surrogate in which each
     * rounding offset {@code round(x) - x} is frozen at the base point (that is what STE means),
     * with the LSQ gradient scale {@code 1/sqrt(in * levels)} on s and z.
     */
    @Test
    void gradientsMatchFiniteDifferencesOfTheStraightThroughSurrogate() {
        int out = 3;
        int in = 5;
        int bits = 3;
        SplittableRandom r = new SplittableRandom(11);
        float[] w = new float[out * in];
        float[] c = new float[out * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextDouble() * 2 - 1);
            c[i] = (float) (r.nextDouble() * 2 - 1);
        }
        w[3] = 4f; // far above the range: clamped, so its gradient w.r.t. w is 0
        float[] s = {0.21f, 0.33f, 0.27f};
        float[] z = {3.4f, 2.6f, 4.1f};
        float[] gw;
        float[] gs;
        float[] gz;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray wa = m.create(w, new Shape(out, in));
            NDArray sa = m.create(s, new Shape(out, 1));
            NDArray za = m.create(z, new Shape(out, 1));
            for (NDArray a : new NDArray[] {wa, sa, za}) {
                a.setRequiresGradient(true);
            }
            LsqPlusWeightQuantizer q = new LsqPlusWeightQuantizer(bits, sa, za, in);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(q.forward(wa).mul(m.create(c, new Shape(out, in))).sum());
            }
            gw = wa.getGradient().toFloatArray();
            gs = sa.getGradient().toFloatArray();
            gz = za.getGradient().toFloatArray();
        }
        double g = 1 / Math.sqrt(in * 7.0);
        double h = 1e-4;
        for (int row = 0; row < out; row++) {
            double[] base = {s[row], z[row]};
            double dS = (surrogate(w, c, row, in, base[0] + h, base[1], s[row], z[row])
                    - surrogate(w, c, row, in, base[0] - h, base[1], s[row], z[row])) / (2 * h);
            double dZ = (surrogate(w, c, row, in, base[0], base[1] + h, s[row], z[row])
                    - surrogate(w, c, row, in, base[0], base[1] - h, s[row], z[row])) / (2 * h);
            assertEquals(dS * g, gs[row], 1e-3 * Math.max(1, Math.abs(dS * g)), "ds row " + row);
            assertEquals(dZ * g, gz[row], 1e-3 * Math.max(1, Math.abs(dZ * g)), "dz row " + row);
            for (int col = 0; col < in; col++) {
                double x = w[row * in + col] / s[row] + z[row];
                double code = Math.rint(x);
                boolean inside = code >= 0 && code <= 7;
                assertEquals(inside ? c[row * in + col] : 0.0, gw[row * in + col], 1e-5, "dw " + row + "," + col);
            }
        }
        assertEquals(0f, gw[3], "a clamped weight gets no gradient");
    }

    /** sum_j c_j * s (clamp(w_j / s + z + frozen_j) - z), frozen_j = round(x0_j) - x0_j at (s0, z0). */
    private static double surrogate(float[] w, float[] c, int row, int in, double s, double z, float s0, float z0) {
        double sum = 0;
        for (int j = 0; j < in; j++) {
            double x0 = w[row * in + j] / (double) s0 + z0;
            double frozen = Math.rint(x0) - x0;
            // torch's clamp passes the gradient where the rounded code lies in [0, 7], ends included,
            // so the clamp decision is frozen at the base point as well.
            double code = Math.rint(x0);
            double q = code >= 0 && code <= 7 ? w[row * in + j] / s + z + frozen : code < 0 ? 0 : 7;
            sum += c[row * in + j] * s * (q - z);
        }
        return sum;
    }
}

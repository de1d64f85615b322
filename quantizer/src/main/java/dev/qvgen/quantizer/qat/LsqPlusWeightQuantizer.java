package dev.qvgen.quantizer.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * LSQ+ weight quantizer, asymmetric, one learnable step size {@code s} and one learnable real
 * zero point {@code z} per output channel: {@code q = clamp(round(W / s + z), 0, 2^b - 1)},
 * {@code W_hat = s (q - z)}, with the gradients of s and z scaled by {@code 1 / sqrt(in * (2^b - 1))}
 * and a straight-through round, as the official QVGen code does. Initial ranges come from an MSE
 * search (80 shrink factors 1.00 .. 0.21 of each row's [min, max], error sum |Q(w) - w|^2.4).
 */
public final class LsqPlusWeightQuantizer {
    private static final int CANDIDATES = 80;
    private static final double NORM = 2.4;

    private final int bits;
    private final float levels;
    private final float gradScale;
    private final NDArray scale;
    private final NDArray zero;

    LsqPlusWeightQuantizer(int bits, NDArray scale, NDArray zero, int inFeatures) {
        this.bits = bits;
        this.levels = (1 << bits) - 1;
        this.gradScale = (float) (1.0 / Math.sqrt((double) inFeatures * levels));
        this.scale = scale;
        this.zero = zero;
    }

    /** Initialises s and z for {@code w} (out, in) by the per-row MSE search. */
    public static LsqPlusWeightQuantizer initialise(NDArray w, int bits, NDManager manager) {
        int out = (int) w.getShape().get(0);
        int in = (int) w.getShape().get(1);
        float levels = (1 << bits) - 1;
        float[] v = w.toFloatArray();
        float[] s = new float[out];
        float[] z = new float[out];
        for (int r = 0; r < out; r++) {
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (int c = 0; c < in; c++) {
                min = Math.min(min, v[r * in + c]);
                max = Math.max(max, v[r * in + c]);
            }
            double best = Double.MAX_VALUE;
            for (int i = 0; i < CANDIDATES; i++) {
                float p = 1f - i / 100f;
                float lo = p * min;
                float hi = p * max;
                float step = Math.max((hi - lo) / levels, 1e-9f);
                float zp = -lo / step;
                double err = 0;
                for (int c = 0; c < in; c++) {
                    float x = v[r * in + c];
                    float q = Math.min(levels, Math.max(0f, (float) Math.rint(x / step + zp)));
                    err += Math.pow(Math.abs(step * (q - zp) - x), NORM);
                }
                if (err < best) {
                    best = err;
                    s[r] = step;
                    z[r] = zp;
                }
            }
        }
        return new LsqPlusWeightQuantizer(bits, manager.create(s, new Shape(out, 1)),
                manager.create(z, new Shape(out, 1)), in);
    }

    /** Fake-quantized weight, differentiable in W (straight-through), s and z. */
    public NDArray forward(NDArray w) {
        NDArray s = effectiveScale();
        NDArray z = effectiveZero();
        NDArray q = Ste.round(w.div(s).add(z)).clip(0f, levels);
        return q.sub(z).mul(s);
    }

    /**
     * The step size as the forward pass sees it (the gradient-scaling trick may move its last
     * bit); exports use this value so they reproduce the fake-quantized weight exactly.
     */
    public NDArray effectiveScale() {
        return Ste.scaleGradient(scale, gradScale);
    }

    public NDArray effectiveZero() {
        return Ste.scaleGradient(zero, gradScale);
    }

    /** Integer codes in [0, 2^b - 1] of {@code w}, as the forward pass rounds them (for export). */
    public NDArray codes(NDArray w) {
        return w.div(effectiveScale()).add(effectiveZero()).round().clip(0f, levels);
    }

    public NDArray scale() {
        return scale;
    }

    public NDArray zero() {
        return zero;
    }

    public int bits() {
        return bits;
    }
}

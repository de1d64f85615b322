package dev.qvgen.quantizer.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.EngineOwned;

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
    /**
     * Layers with more weights than this run the search as tensor ops in the engine (on the GPU
     * when it is there): the host loop takes about 10 s per million weights, i.e. minutes per
     * block of a full-size video transformer. The engine sums the error in float32 where the
     * host loop sums in float64, so near-ties can resolve to a neighbouring candidate.
     */
    public static final long ENGINE_SEARCH_ABOVE = 1L << 20;

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
        if ((long) out * in > ENGINE_SEARCH_ABOVE) {
            return initialiseOnEngine(w, bits, manager);
        }
        float levels = (1 << bits) - 1;
        float[] v = w.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
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
        return new LsqPlusWeightQuantizer(bits, EngineOwned.adopt(manager.create(s, new Shape(out, 1))),
                EngineOwned.adopt(manager.create(z, new Shape(out, 1))), in);
    }

    /** {@link #initialise}'s search, candidate by candidate over whole (out, in) tensors. */
    static LsqPlusWeightQuantizer initialiseOnEngine(NDArray w, int bits, NDManager manager) {
        int out = (int) w.getShape().get(0);
        int in = (int) w.getShape().get(1);
        float levels = (1 << bits) - 1;
        NDArray bestErr = null;
        NDArray bestS = null;
        NDArray bestZ = null;
        float[] s;
        float[] z;
        try (ai.djl.ndarray.NDScope outer = new ai.djl.ndarray.NDScope()) {
            NDArray wf = w.toType(ai.djl.ndarray.types.DataType.FLOAT32, true);
            NDArray min = wf.min(new int[] {1}, true);
            NDArray max = wf.max(new int[] {1}, true);
            for (int i = 0; i < CANDIDATES; i++) {
                float p = 1f - i / 100f;
                try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
                    NDArray lo = min.mul(p);
                    NDArray step = max.mul(p).sub(lo).div(levels).maximum(1e-9f);
                    NDArray zp = lo.neg().div(step);
                    NDArray q = wf.div(step).add(zp).round().clip(0f, levels);
                    NDArray err = q.sub(zp).mul(step).sub(wf).abs().pow((float) NORM).sum(new int[] {1}, true);
                    if (bestErr == null) {
                        bestErr = err;
                        bestS = step;
                        bestZ = zp;
                    } else {
                        NDArray better = err.lt(bestErr);
                        NDArray e = ai.djl.ndarray.NDArrays.where(better, err, bestErr);
                        NDArray st = ai.djl.ndarray.NDArrays.where(better, step, bestS);
                        NDArray zz = ai.djl.ndarray.NDArrays.where(better, zp, bestZ);
                        bestErr.close();
                        bestS.close();
                        bestZ.close();
                        bestErr = e;
                        bestS = st;
                        bestZ = zz;
                    }
                    ai.djl.ndarray.NDScope.unregister(bestErr, bestS, bestZ);
                }
            }
            s = bestS.toFloatArray();
            z = bestZ.toFloatArray();
        } finally {
            for (NDArray a : new NDArray[] {bestErr, bestS, bestZ}) {
                if (a != null) {
                    a.close();
                }
            }
        }
        // made outside the scope, which would free them
        return new LsqPlusWeightQuantizer(bits, EngineOwned.adopt(manager.create(s, new Shape(out, 1))),
                EngineOwned.adopt(manager.create(z, new Shape(out, 1))), in);
    }

    /** Fake-quantized weight, differentiable in W (straight-through), s and z. */
    public NDArray forward(NDArray w) {
        NDArray s = effectiveScale();
        NDArray z = effectiveZero();
        NDArray q = PlantedFault.offByOne(Ste.round(w.div(s).add(z))).clip(0f, levels);
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
        return PlantedFault.offByOne(w.div(effectiveScale()).add(effectiveZero()).round()).clip(0f, levels);
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

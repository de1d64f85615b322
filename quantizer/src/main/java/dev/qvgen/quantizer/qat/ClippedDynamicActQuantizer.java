package dev.qvgen.quantizer.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

import dev.qvgen.models.nn.Scalars;

/**
 * Per-token dynamic asymmetric activation quantizer with learnable clipping (the official
 * "learnable clipped dynamic" quantizer): each token's range is
 * {@code [sigmoid(lower_g) * 0.95 * min(x), sigmoid(upper_g) * 0.95 * max(x)]}, with one pair of
 * clip logits per group of timesteps (initialised to logit(0.95)). The step is
 * {@code s = (max - min) / (2^b - 1)}, the zero point {@code z = clamp(-round(min / s), 0, 2^b - 1)}.
 *
 * <p>Timestep groups: group {@code g = floor(t / 1000 * G)} for every sample, in training and in
 * sampling alike. (The official code indexes groups by {@code t mod G} in training and by call count
 * at inference; we keep one mapping on purpose so a group means the same noise level in both.)
 */
public final class ClippedDynamicActQuantizer {
    public static final float INITIAL_CLIP = 0.95f;
    public static final int DEFAULT_GROUPS = 50;

    private final float levels;
    private final int groups;
    private final NDArray lower;
    private final NDArray upper;

    ClippedDynamicActQuantizer(int bits, NDArray lower, NDArray upper) {
        this.levels = (1 << bits) - 1;
        this.groups = (int) lower.getShape().get(0);
        this.lower = lower;
        this.upper = upper;
    }

    public static ClippedDynamicActQuantizer initialise(int bits, int groups, NDManager manager) {
        float logit = (float) Math.log(INITIAL_CLIP / (1 - INITIAL_CLIP));
        return new ClippedDynamicActQuantizer(bits, manager.full(new Shape(groups), logit),
                manager.full(new Shape(groups), logit));
    }

    /**
     * @param x (B, ..., C) activations, quantized per token over C
     * @param timesteps (B) timesteps in [0, 1000], or null (then the last group is used)
     */
    public NDArray forward(NDArray x, NDArray timesteps) {
        long b = x.getShape().get(0);
        NDArray oneHot = groupOneHot(timesteps, b, x.getManager());
        Shape perSample = new Shape(perSampleShape(x.getShape()));
        NDArray lo = Activation.sigmoid(oneHot.matMul(lower)).reshape(perSample);
        NDArray hi = Activation.sigmoid(oneHot.matMul(upper)).reshape(perSample);
        int[] last = {-1};
        NDArray min = Scalars.mul(x.min(last, true), INITIAL_CLIP).mul(lo);
        NDArray max = Scalars.mul(x.max(last, true), INITIAL_CLIP).mul(hi);
        NDArray s = Scalars.div(max.sub(min), levels).clip(1e-8f, Float.MAX_VALUE);
        NDArray z = Ste.round(min.div(s)).neg().clip(0f, levels);
        NDArray q = Ste.round(x.div(s)).add(z).clip(0f, levels);
        return q.sub(z).mul(s);
    }

    private NDArray groupOneHot(NDArray timesteps, long batch, NDManager manager) {
        long[] idx = new long[(int) batch];
        if (timesteps == null) {
            java.util.Arrays.fill(idx, groups - 1);
        } else {
            float[] t = timesteps.toType(DataType.FLOAT32, false).toFloatArray();
            for (int i = 0; i < batch; i++) {
                float ti = t.length == 1 ? t[0] : t[i];
                idx[i] = Math.min(groups - 1, Math.max(0, (long) Math.floor(ti / 1000f * groups)));
            }
        }
        return manager.create(idx).oneHot(groups).toType(DataType.FLOAT32, false).toDevice(lower.getDevice(), false);
    }

    private static long[] perSampleShape(Shape s) {
        long[] out = new long[s.dimension()];
        java.util.Arrays.fill(out, 1);
        out[0] = s.get(0);
        return out;
    }

    public NDArray lowerLogits() {
        return lower;
    }

    public NDArray upperLogits() {
        return upper;
    }
}

package dev.qvgen.quantizer.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

import dev.qvgen.layers.nn.Scalars;
import dev.qvgen.quantizer.ActivationQuantizer;

/**
 * Per-token dynamic asymmetric activation quantizer with learnable clipping (the official
 * "learnable clipped dynamic" quantizer): each token's range is
 * {@code [sigmoid(lower_g) * 0.95 * min(x), sigmoid(upper_g) * 0.95 * max(x)]}, with one pair of
 * clip logits per group of timesteps (initialised to logit(0.95)). The step is
 * {@code s = (max - min) / (2^b - 1)}, the zero point {@code z = clamp(-round(min / s), 0, 2^b - 1)}.
 *
 * <p>Timestep groups: by default group {@code g = floor(t / 1000 * G)} for every sample, in training and
 * in sampling alike. (The official code indexes groups by {@code t mod G} in training and by call count
 * at inference; we keep one mapping on purpose so a group means the same noise level in both.) A
 * deployed copy can use the official rules instead ({@link ClipGroupRule}), to run the authors'
 * released checkpoints as they run.
 */
public final class ClippedDynamicActQuantizer implements ActivationQuantizer {
    public static final float INITIAL_CLIP = 0.95f;
    public static final int DEFAULT_GROUPS = 50;

    private final int bits;
    private final float levels;
    private final int groups;
    private final NDArray lower;
    private final NDArray upper;
    private final ClipGroupRule rule;
    /** {@link ClipGroupRule#CALL_COUNTDOWN}: the official {@code idx} and {@code auto}, and the last call's timestep. */
    private int countdown;
    private boolean counting;
    private float lastTimestep = Float.NaN;

    /** A quantizer with the given clip logits, one per timestep group (G), grouping by noise level. */
    public ClippedDynamicActQuantizer(int bits, NDArray lower, NDArray upper) {
        this(bits, lower, upper, ClipGroupRule.NOISE_LEVEL);
    }

    public ClippedDynamicActQuantizer(int bits, NDArray lower, NDArray upper, ClipGroupRule rule) {
        this.bits = bits;
        this.levels = (1 << bits) - 1;
        this.groups = (int) lower.getShape().get(0);
        this.lower = lower;
        this.upper = upper;
        this.rule = rule;
        restartCountdown();
    }

    /** The official {@code set_auto(True)}: the next call uses group G - 1 ({@link ClipGroupRule#CALL_COUNTDOWN}). */
    public void restartCountdown() {
        countdown = groups;
        counting = true;
    }

    public ClipGroupRule rule() {
        return rule;
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
        // The clip ratio is formed first, so a deployed copy with the same logits computes the
        // same bits (see deploy.DeployedLinearKernel).
        float clip = INITIAL_CLIP * PlantedFault.activationClipFactor();
        NDArray lo = Scalars.mul(Activation.sigmoid(oneHot.matMul(lower)), clip).reshape(perSample);
        NDArray hi = Scalars.mul(Activation.sigmoid(oneHot.matMul(upper)), clip).reshape(perSample);
        int[] last = {-1};
        NDArray min = x.min(last, true).mul(lo);
        NDArray max = x.max(last, true).mul(hi);
        NDArray s = Scalars.div(max.sub(min), levels).clip(1e-9f, Float.MAX_VALUE); // the official clamp_min(1e-9)
        // The zero point is rounded without a straight-through gradient, as the official code's
        // get_qparams does (torch.round, whose gradient is 0): the clip logits and x learn through
        // the step size only. Parity: QvgenOfficialParityTest.
        NDArray z = min.div(s).round().neg().clip(0f, levels);
        NDArray q = Ste.round(x.div(s)).add(z).clip(0f, levels);
        return q.sub(z).mul(s);
    }

    @Override
    public NDArray quantize(NDArray x, NDArray timesteps) {
        return forward(x, timesteps);
    }

    @Override
    public int bits() {
        return bits;
    }

    public int groups() {
        return groups;
    }

    /** The timestep group of {@code t} in [0, 1000]: {@code floor(t / 1000 * G)}, clamped to [0, G). */
    public static int group(float t, int groups) {
        return Math.min(groups - 1, Math.max(0, (int) Math.floor(t / 1000f * groups)));
    }

    private NDArray groupOneHot(NDArray timesteps, long batch, NDManager manager) {
        // Every quantized layer of a forward reads the same timesteps: the groups are read back
        // from the device once per forward and the one-hot made once, not once per layer (each
        // read and copy waits for the GPU's queue: about 600 waits per checkpointed training pass).
        // The countdown rule counts calls, so it is never cached.
        boolean cacheable = rule != ClipGroupRule.CALL_COUNTDOWN && timesteps != null;
        OneHotCache c = ONE_HOT.get();
        if (cacheable && c != null && c.timesteps == timesteps && c.batch == batch && c.groups == groups
                && c.rule == rule && c.oneHot.getDevice().equals(lower.getDevice()) && !c.oneHot.isReleased()) {
            return c.oneHot;
        }
        NDArray oneHot = manager.create(groupIndices(timesteps, batch)).oneHot(groups).toType(DataType.FLOAT32, false)
                .toDevice(lower.getDevice(), false);
        if (!cacheable) {
            return oneHot;
        }
        // kept past the layer's scope until the next forward's timesteps replace it
        ai.djl.ndarray.NDScope.unregister(oneHot);
        if (c != null && !c.oneHot.isReleased()) {
            c.oneHot.close();
        }
        ONE_HOT.set(new OneHotCache(timesteps, batch, groups, rule, oneHot));
        return oneHot;
    }

    /** Each sample's clip group under this quantizer's rule. */
    private long[] groupIndices(NDArray timesteps, long batch) {
        long[] idx = new long[(int) batch];
        if (rule == ClipGroupRule.CALL_COUNTDOWN) {
            java.util.Arrays.fill(idx, nextCountdownGroup(timesteps));
        } else if (timesteps == null) {
            java.util.Arrays.fill(idx, groups - 1);
        } else {
            float[] t = timesteps.toType(DataType.FLOAT32, false).toFloatArray();
            for (int i = 0; i < batch; i++) {
                float ti = t.length == 1 ? t[0] : t[i];
                idx[i] = rule == ClipGroupRule.TIMESTEP_MOD ? Math.floorMod((long) ti, (long) groups)
                        : group(ti, groups);
            }
        }
        return idx;
    }

    /** The last forward's one-hot timestep groups (this thread's). */
    private record OneHotCache(NDArray timesteps, long batch, int groups, ClipGroupRule rule, NDArray oneHot) {}

    private static final ThreadLocal<OneHotCache> ONE_HOT = new ThreadLocal<>();

    /** The official {@code _forward} with {@code auto}: decrement first, stop counting at 0. */
    private int nextCountdownGroup(NDArray timesteps) {
        if (timesteps != null) {
            float t = timesteps.toType(DataType.FLOAT32, false).toFloatArray()[0];
            if (t > lastTimestep) {
                restartCountdown();
            }
            lastTimestep = t;
        }
        if (counting) {
            countdown--;
            if (countdown == 0) {
                counting = false;
            }
        }
        // Python's lower[-1] when the count never started (idx = -1 in the official code).
        return countdown < 0 ? groups - 1 : countdown;
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

package dev.qvgen.layers.train;

import ai.djl.ndarray.NDArray;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;

/**
 * AdamW (decoupled weight decay, bias-corrected moments) over groups of arrays, each with its
 * own learning rate and weight decay, with global gradient-norm clipping; a step whose gradient is
 * not finite is skipped. Moments live beside the parameters, on their device, or on another
 * device (the CPU, as DeepSpeed's optimizer offload keeps them): then each step copies the
 * gradient there, updates the moments there and copies the update back.
 */
public final class AdamW {
    /** Arrays trained with one learning rate and weight decay. */
    public record Group(String name, List<NDArray> arrays, float lr, float weightDecay) {}

    private final List<Group> groups;
    private final List<List<NDArray>> m = new ArrayList<>();
    private final List<List<NDArray>> v = new ArrayList<>();
    private final float beta1;
    private final float beta2;
    private final float eps;
    private int step;
    private int skipped;
    private final Map<String, Double> groupNorms = new LinkedHashMap<>();

    public AdamW(List<Group> groups, float beta1, float beta2, float eps) {
        this(groups, beta1, beta2, eps, null);
    }

    /** @param stateDevice where the moments live; null: beside each parameter */
    public AdamW(List<Group> groups, float beta1, float beta2, float eps, ai.djl.Device stateDevice) {
        this.groups = groups;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        for (Group g : groups) {
            List<NDArray> gm = new ArrayList<>();
            List<NDArray> gv = new ArrayList<>();
            for (NDArray a : g.arrays()) {
                ai.djl.Device at = stateDevice == null ? a.getDevice() : stateDevice;
                gm.add(a.getManager().zeros(a.getShape(), a.getDataType(), at));
                gv.add(a.getManager().zeros(a.getShape(), a.getDataType(), at));
            }
            m.add(gm);
            v.add(gv);
        }
    }

    /** Global L2 norm of all gradients (before clipping); also records each group's norm. */
    public double gradientNorm() {
        double sq = 0;
        for (Group g : groups) {
            // each array's sum of squares on the device, read back together: one wait for the GPU
            // per group instead of one per array, and the same sums added in the same order
            double gsq = 0;
            try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
                ai.djl.ndarray.NDList sums = new ai.djl.ndarray.NDList();
                for (NDArray a : g.arrays()) {
                    // the parameter-sized square is freed at once; only the scalar waits for the read
                    try (NDArray grad = a.getGradient(); NDArray squared = grad.square()) {
                        sums.add(squared.sum());
                    }
                }
                if (!sums.isEmpty()) {
                    for (float v : ai.djl.ndarray.NDArrays.stack(sums).toFloatArray()) {
                        gsq += v;
                    }
                }
            }
            groupNorms.put(g.name(), Math.sqrt(gsq));
            sq += gsq;
        }
        return Math.sqrt(sq);
    }

    /**
     * Each group's gradient norm at the last {@link #step} (before clipping): e.g. the model
     * weights' own, which QVGen's analysis is about, apart from the auxiliary parameters'.
     */
    public Map<String, Double> groupNorms() {
        return java.util.Collections.unmodifiableMap(groupNorms);
    }

    /** Names of the groups, in order. */
    public List<String> groupNames() {
        return groups.stream().map(Group::name).toList();
    }

    /**
     * Applies one update with every group's learning rate times {@code lrFactor} (the schedule),
     * clipping the global gradient norm to {@code maxNorm} (none if maxNorm <= 0). Returns the
     * norm before clipping.
     */
    public double step(float lrFactor, double maxNorm) {
        double norm = gradientNorm();
        if (!Double.isFinite(norm)) {
            // As AMP's gradient scaler does: a non-finite gradient skips the update instead of
            // poisoning the weights; the caller logs the norm, so skipped steps stay visible.
            skipped++;
            return norm;
        }
        float clip = maxNorm > 0 && norm > maxNorm ? (float) (maxNorm / (norm + 1e-6)) : 1f;
        step++;
        float bc1 = 1f - (float) Math.pow(beta1, step);
        float bc2 = 1f - (float) Math.pow(beta2, step);
        for (int gi = 0; gi < groups.size(); gi++) {
            Group g = groups.get(gi);
            float lr = g.lr() * lrFactor;
            for (int i = 0; i < g.arrays().size(); i++) {
                NDArray w = g.arrays().get(i);
                NDArray mi = m.get(gi).get(i);
                boolean offloaded = !mi.getDevice().equals(w.getDevice());
                try (NDArray onDevice = w.getGradient();
                        NDArray grad = offloaded ? onDevice.toDevice(mi.getDevice(), false) : onDevice;
                        NDArray gc = grad.mul(clip);
                        NDArray gcSq = gc.square();
                        NDArray mHat = mi.muli(beta1).addi(gc.muli(1f - beta1)).div(bc1);
                        NDArray vHat = v.get(gi).get(i).muli(beta2).addi(gcSq.muli(1f - beta2)).div(bc2);
                        NDArray denom = vHat.sqrt().addi(eps);
                        NDArray update = mHat.divi(denom).muli(lr);
                        NDArray back = offloaded ? update.toDevice(w.getDevice(), false) : update) {
                    if (g.weightDecay() > 0) {
                        w.muli(1f - lr * g.weightDecay());
                    }
                    w.subi(back);
                }
            }
        }
        return norm;
    }

    /** Updates skipped because the gradient was not finite. */
    public int skippedSteps() {
        return skipped;
    }

    public int stepCount() {
        return step;
    }

    /**
     * The optimizer's state for a checkpoint: {@code <group>.<i>.m} and {@code .v} moments by
     * array index within each group (the arrays are not copied).
     */
    public Map<String, NDArray> state() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (int gi = 0; gi < groups.size(); gi++) {
            for (int i = 0; i < m.get(gi).size(); i++) {
                out.put("adamw." + groups.get(gi).name() + "." + i + ".m", m.get(gi).get(i));
                out.put("adamw." + groups.get(gi).name() + "." + i + ".v", v.get(gi).get(i));
            }
        }
        return out;
    }

    /** Restores moments saved by {@link #state()} and the step count (for bias correction). */
    public void loadState(Map<String, NDArray> saved, int steps, int skippedSteps) {
        state().forEach((k, target) -> {
            NDArray src = saved.get(k);
            if (src == null || !src.getShape().equals(target.getShape())) {
                throw new IllegalArgumentException("optimizer state " + k + " is missing or mis-shaped");
            }
            dev.qvgen.layers.nn.EngineOwned.copyInto(target, src);
        });
        step = steps;
        skipped = skippedSteps;
    }
}

package dev.qvgen.layers.train;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.dist.ProcessGroup;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * AdamW with its state partitioned over the ranks of a data-parallel group (ZeRO stages 1-2 by
 * parameter): each array has one owner rank, chosen by size so that every rank keeps about the
 * same number of moments. A step reduces each gradient onto its owner (c10d reduce, sum), sums the
 * owners' squared-gradient sums over ranks for the global norm and clipping, lets each owner update
 * its arrays, and broadcasts every updated array from its owner. With one rank it is plain
 * {@link AdamW}, call for call.
 */
public final class ShardedOptimizer {
    private final ProcessGroup group;
    private final List<AdamW.Group> groups;
    private final int[][] owner;
    private final AdamW opt;
    private boolean gradientsOnOwners;

    public ShardedOptimizer(List<AdamW.Group> groups, float beta1, float beta2, float eps,
            ai.djl.Device stateDevice, ProcessGroup group) {
        this.group = group;
        this.groups = groups;
        this.owner = partition(groups, group.worldSize());
        int rank = group.rank();
        this.opt = new AdamW(groups, beta1, beta2, eps, stateDevice, (g, i) -> owner[g][i] == rank);
    }

    /**
     * For weight sharding ({@link WeightShards}): the gradients are already summed onto their
     * owners (block by block, during the backward) and the non-owners do not hold the arrays, so
     * a step neither reduces the gradients nor broadcasts the updated arrays; the next use
     * gathers them from their owners.
     */
    public ShardedOptimizer gradientsOnOwners() {
        this.gradientsOnOwners = true;
        return this;
    }

    /**
     * Owner rank of each array (by group, then index): largest arrays first, each to the rank
     * holding the fewest elements so far (the lower rank on a tie). A function of the shapes and
     * the world size only, so every rank computes the same partition, and a checkpoint written
     * with one world size is re-partitioned on another.
     */
    public static int[][] partition(List<AdamW.Group> groups, int world) {
        int[][] owner = new int[groups.size()][];
        List<int[]> order = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            owner[g] = new int[groups.get(g).arrays().size()];
            for (int i = 0; i < owner[g].length; i++) {
                order.add(new int[] {g, i});
            }
        }
        order.sort(Comparator.<int[]>comparingLong(a -> -groups.get(a[0]).arrays().get(a[1]).size())
                .thenComparingInt(a -> a[0]).thenComparingInt(a -> a[1]));
        long[] load = new long[world];
        for (int[] a : order) {
            int best = 0;
            for (int r = 1; r < world; r++) {
                if (load[r] < load[best]) {
                    best = r;
                }
            }
            owner[a[0]][a[1]] = best;
            load[best] += groups.get(a[0]).arrays().get(a[1]).size();
        }
        return owner;
    }

    /** One optimizer step of the whole group; returns the global gradient norm before clipping. */
    public double step(float lrFactor, double maxNorm) {
        if (group.worldSize() == 1) {
            return opt.step(lrFactor, maxNorm);
        }
        if (!gradientsOnOwners) {
            forEachArray((a, r) -> {
                try (NDArray grad = a.getGradient()) {
                    group.reduceSum(grad, r);
                }
            });
        }
        // each array's sum of squares comes from its owner alone (zeros elsewhere), so the sum over
        // ranks in float64 is exact and every rank adds the same numbers in the same order
        float[][] squares = opt.gradientSquares();
        int n = 0;
        for (float[] v : squares) {
            n += v.length;
        }
        double[] flat = new double[n];
        int k = 0;
        for (float[] v : squares) {
            for (float x : v) {
                flat[k++] = x;
            }
        }
        group.allReduceSum(flat);
        k = 0;
        for (float[] v : squares) {
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) flat[k++];
            }
        }
        double norm = opt.apply(lrFactor, maxNorm, opt.normOf(squares));
        if (Double.isFinite(norm) && !gradientsOnOwners) {
            forEachArray(group::broadcast);
        }
        return norm;
    }

    private void forEachArray(java.util.function.ObjIntConsumer<NDArray> f) {
        for (int g = 0; g < groups.size(); g++) {
            for (int i = 0; i < owner[g].length; i++) {
                f.accept(groups.get(g).arrays().get(i), owner[g][i]);
            }
        }
    }

    public int owner(int group, int index) {
        return owner[group][index];
    }

    public ProcessGroup processGroup() {
        return group;
    }

    /** This rank's moments ({@link AdamW#state}): its own arrays' only. */
    public Map<String, NDArray> state() {
        return opt.state();
    }

    /** Restores this rank's moments from {@code saved} (which may hold other ranks' too). */
    public void loadState(Map<String, NDArray> saved, int steps, int skippedSteps) {
        opt.loadState(saved, steps, skippedSteps);
    }

    public Map<String, Double> groupNorms() {
        return opt.groupNorms();
    }

    public List<String> groupNames() {
        return opt.groupNames();
    }

    public int stepCount() {
        return opt.stepCount();
    }

    public int skippedSteps() {
        return opt.skippedSteps();
    }
}

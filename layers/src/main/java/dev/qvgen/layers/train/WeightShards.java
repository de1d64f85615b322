package dev.qvgen.layers.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.dist.ProcessGroup;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * The trained arrays sharded over the ranks at block granularity (ZeRO-3 / FSDP style, with
 * whole arrays as the shards): every array has one owner rank ({@link ShardedOptimizer#partition},
 * the same owner as its AdamW moments), which alone holds it between uses; the other ranks hold
 * an empty tensor in its place ({@link ArrayStorage}). Each array belongs to a unit, one block or
 * {@link BlockResidency#ENTRY_EXIT}. Around a micro-batch ({@link BlockResidency}) a unit is
 * materialised by broadcasting each of its arrays from the owner, released again after its
 * forward, and after its backward each gradient is reduced (summed) onto the owner and the
 * non-owners release the array with its gradient. The optimizer then updates owned arrays only
 * ({@link ShardedOptimizer#gradientsOnOwners}).
 *
 * <p>Why whole arrays rather than flat slices: each array's update, its squared-gradient sum for
 * the global norm included, is then computed by one rank over the whole array exactly as one
 * rank training alone computes it, so the sharded run can stay bit-identical to it; the
 * collectives are the process group's broadcast and reduce as they are (no all-gather or
 * reduce-scatter of padded flat buffers); and checkpoints keep every tensor by its name. The
 * price is balance: a rank holds whole arrays, so the shares differ by up to one array (largest
 * first, each to the least-loaded rank).
 */
public final class WeightShards implements BlockResidency {
    private final ProcessGroup group;
    private final List<NDArray> arrays = new ArrayList<>();
    private final List<Shape> shapes = new ArrayList<>();
    private final List<Integer> owners = new ArrayList<>();
    private final List<Integer> units = new ArrayList<>();
    private final List<String> groupNames = new ArrayList<>();
    private final java.util.Map<NDArray, Integer> index = new IdentityHashMap<>();
    private final int blocks;
    private long peak;

    /**
     * @param owner owner rank by group and index ({@link ShardedOptimizer#partition})
     * @param unit unit by group and index: a block index in [0, blocks), or ENTRY_EXIT
     */
    public WeightShards(List<AdamW.Group> groups, int[][] owner, int[][] unit, int blocks, ProcessGroup group) {
        this.group = group;
        this.blocks = blocks;
        for (int g = 0; g < groups.size(); g++) {
            for (int i = 0; i < groups.get(g).arrays().size(); i++) {
                NDArray a = groups.get(g).arrays().get(i);
                if (index.putIfAbsent(a, arrays.size()) != null) {
                    throw new IllegalArgumentException("array " + i + " of group " + groups.get(g).name()
                            + " is listed twice");
                }
                if (unit[g][i] != ENTRY_EXIT && (unit[g][i] < 0 || unit[g][i] >= blocks)) {
                    throw new IllegalArgumentException("unit " + unit[g][i] + " of array " + i + " of group "
                            + groups.get(g).name() + " is not a block of " + blocks);
                }
                arrays.add(a);
                shapes.add(a.getShape());
                owners.add(owner[g][i]);
                units.add(unit[g][i]);
                groupNames.add(groups.get(g).name());
            }
        }
    }

    public int blocks() {
        return blocks;
    }

    /** Releases every array this rank does not own: the state between steps. */
    public void releaseNotOwned() {
        forEach(k -> true, this::releaseIfNotOwned);
    }

    @Override
    public void materialise(int unit) {
        gather(k -> units.get(k) == unit);
    }

    @Override
    public void afterForward(int unit) {
        forEach(k -> units.get(k) == unit, this::releaseIfNotOwned);
    }

    /** Sums each gradient of {@code unit} onto its owner, then the non-owners let go of array and gradient. */
    @Override
    public void afterBackward(int unit) {
        forEach(k -> units.get(k) == unit, k -> {
            NDArray a = arrays.get(k);
            // an array outside this micro-batch's graph (a removed Φ) reads as zeros
            try (NDArray grad = a.getGradient()) {
                group.reduceSum(grad, owners.get(k));
            }
            releaseIfNotOwned(k);
        });
    }

    /** Materialises every array of the group named {@code name}, on every rank (e.g. Φ for its rank decay). */
    public void gatherGroup(String name) {
        gather(k -> groupNames.get(k).equals(name));
    }

    /** Releases the arrays of the group named {@code name} that this rank does not own. */
    public void releaseGroup(String name) {
        forEach(k -> groupNames.get(k).equals(name), this::releaseIfNotOwned);
    }

    /**
     * Leaves every array in full on {@code root} (e.g. for the single-file export), one unit at a
     * time so that the other ranks never hold more than one unit beyond their share.
     */
    public void gatherTo(int root) {
        for (int u = ENTRY_EXIT; u < blocks; u++) {
            int unit = u;
            materialise(unit);
            if (group.rank() != root) {
                afterForward(unit);
            }
        }
    }

    /** Whether this rank keeps {@code a} between steps (it owns it, or {@code a} is not sharded here). */
    public boolean owns(NDArray a) {
        Integer k = index.get(a);
        return k == null || owners.get(k) == group.rank();
    }

    /** Whether {@code a} is one of the sharded arrays. */
    public boolean shards(NDArray a) {
        return index.containsKey(a);
    }

    /** Bytes of the sharded arrays' tensors as they are now on this rank (read from each array's shape). */
    public long heldBytes() {
        long b = 0;
        for (NDArray a : arrays) {
            b += ArrayStorage.bytes(a);
        }
        return b;
    }

    /** Bytes of all sharded arrays in full. */
    public long totalBytes() {
        long b = 0;
        for (int k = 0; k < arrays.size(); k++) {
            b += shapes.get(k).size() * arrays.get(k).getDataType().getNumOfBytes();
        }
        return b;
    }

    /** The most {@link #heldBytes} measured after any materialisation since {@link #resetPeak}. */
    public long peakHeldBytes() {
        return Math.max(peak, heldBytes());
    }

    public void resetPeak() {
        peak = heldBytes();
    }

    /**
     * What this rank can hold at most during a step by design (from the arrays' full shapes): its
     * own arrays, plus the larger of the other ranks' arrays of the group {@code gatheredWhole}
     * (gathered all at once, e.g. Φ for its rank decay) and those of the entry/exit unit with the
     * largest block's.
     */
    public long designPeakBytes(String gatheredWhole) {
        long owned = 0;
        long whole = 0;
        long entryExit = 0;
        long[] block = new long[blocks];
        for (int k = 0; k < arrays.size(); k++) {
            long b = shapes.get(k).size() * arrays.get(k).getDataType().getNumOfBytes();
            if (owners.get(k) == group.rank()) {
                owned += b;
                continue;
            }
            if (groupNames.get(k).equals(gatheredWhole)) {
                whole += b;
            }
            if (units.get(k) == ENTRY_EXIT) {
                entryExit += b;
            } else {
                block[units.get(k)] += b;
            }
        }
        long largestBlock = java.util.Arrays.stream(block).max().orElse(0);
        return owned + Math.max(whole, entryExit + largestBlock);
    }

    /**
     * Broadcasts each selected array from its owner, in one fixed order on every rank (the
     * collectives must match); a non-owner receives into a fresh tensor that the array adopts.
     */
    private void gather(IntPredicate which) {
        forEach(which, k -> {
            NDArray a = arrays.get(k);
            int owner = owners.get(k);
            if (owner == group.rank() || a.getShape().equals(shapes.get(k))) {
                group.broadcast(a, owner);
                return;
            }
            NDArray full = a.getManager().zeros(shapes.get(k), a.getDataType(), a.getDevice());
            group.broadcast(full, owner);
            ArrayStorage.adopt(a, full);
        });
        peak = Math.max(peak, heldBytes());
    }

    private void releaseIfNotOwned(int k) {
        NDArray a = arrays.get(k);
        if (owners.get(k) != group.rank() && a.getShape().size() != 0) {
            ArrayStorage.release(a);
        }
    }

    private void forEach(IntPredicate which, java.util.function.IntConsumer f) {
        for (int k = 0; k < arrays.size(); k++) {
            if (which.test(k)) {
                f.accept(k);
            }
        }
    }
}

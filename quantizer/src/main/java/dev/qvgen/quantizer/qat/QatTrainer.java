package dev.qvgen.quantizer.qat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;

import dev.qvgen.layers.dist.LocalGroup;
import dev.qvgen.layers.dist.ProcessGroup;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.train.AdamW;
import dev.qvgen.layers.train.ShardedOptimizer;
import dev.qvgen.layers.train.WeightShards;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Quantization-aware training. The loss is distillation from the full-precision teacher (the
 * official QVGen default, {@code mean((student - teacher)^2)}) or, as an option, the plain
 * diffusion loss against the batch's target. AdamW (betas 0.9/0.95, eps 1e-8), linear warm-up
 * then cosine with hard restarts, global gradient-norm clip, Φ's rank decay applied before every
 * step. Each step appends a row to {@code log.csv} (loss, total gradient norm, every layer's
 * rank, then each parameter group's gradient norm); every {@code checkpointEvery} steps the whole state (weights, quantizers, Φ, optimizer
 * moments) goes to {@code state.safetensors}, and a new run in the same directory resumes from it
 * bit-identically (batches are a function of the step).
 */
public final class QatTrainer {
    public static final String LOG = "log.csv";
    public static final String STATE = "state.safetensors";
    /** The last column of {@link #LOG}: the memory probe's reading after the step. */
    public static final String MEMORY_COLUMN = "peak_memory_bytes";

    /** The model-specific part: batches, and the forward passes on them. */
    public interface Task {
        /** The batch of one step; must depend only on the step (resume relies on it). */
        Batch batch(int step, NDManager manager);

        NDArray student(Batch b);

        NDArray teacher(Batch b);

        /**
         * The student's forward on {@code b} cut at its block boundaries, to train with per-block
         * activation checkpointing; null (the default) trains through {@link #student} and keeps
         * every block's activations.
         */
        default dev.qvgen.layers.train.Blockwise studentBlockwise(Batch b) {
            return null;
        }
    }

    /**
     * Noisy input, timesteps in [0, 1000], conditioning, and the diffusion target (used by
     * {@link Loss#DIFFUSION}; may be null for distillation).
     */
    public record Batch(NDArray input, NDArray timesteps, NDArray context, NDArray target) {}

    /**
     * Distillation (student vs teacher output), the plain diffusion loss (student vs the batch's
     * target), or Q-DM's noise-estimating mimicking: the sum of both.
     */
    public enum Loss { DISTILLATION, DIFFUSION, MIMICKING }

    /**
     * @param decay null for plain LSQ (no Φ)
     * @param cycles cosine cycles (1 = plain cosine to 0)
     */
    public record Settings(int steps, int warmup, int cycles, QatLayers.LearningRates lr, double maxGradNorm,
            RankDecay decay, Loss loss, int checkpointEvery, int gradAccum) {
        public Settings {
            if (gradAccum < 1) {
                throw new IllegalArgumentException("gradient accumulation must be at least 1, got " + gradAccum);
            }
        }

        /** Without gradient accumulation: one batch per optimizer step. */
        public Settings(int steps, int warmup, int cycles, QatLayers.LearningRates lr, double maxGradNorm,
                RankDecay decay, Loss loss, int checkpointEvery) {
            this(steps, warmup, cycles, lr, maxGradNorm, decay, loss, checkpointEvery, 1);
        }
    }

    /** Sees every finished step: its number, loss and gradient norm. */
    public interface StepListener {
        void onStep(int step, double loss, double gradNorm);

        /** Called before the first step when a run resumes from its checkpoint at {@code step}. */
        default void onResume(int step) {
        }
    }

    private final Settings s;
    private java.util.function.LongSupplier memory;
    private ai.djl.Device optimizerDevice;
    private volatile boolean stopRequested;
    private ProcessGroup group = LocalGroup.INSTANCE;
    private List<String> shardedBlockPrefixes;
    private WeightShards shards;
    private long stepPeakBytes;

    public QatTrainer(Settings settings) {
        this.s = settings;
    }

    /**
     * Logs {@code probe}'s reading after every step in the {@code peak_memory_bytes} column (e.g.
     * the device's peak memory); without one the column is empty.
     */
    public QatTrainer withMemoryProbe(java.util.function.LongSupplier probe) {
        this.memory = probe;
        return this;
    }

    /**
     * Keeps AdamW's moments on {@code device} (e.g. the CPU while the model trains on a GPU, as the
     * official recipe's DeepSpeed offload does): 8 bytes per trained parameter off the GPU, for a
     * copy of the gradients there and of the update back at every optimizer step.
     */
    public QatTrainer withOptimizerStateOn(ai.djl.Device device) {
        this.optimizerDevice = device;
        return this;
    }

    /**
     * Trains data-parallel in {@code g}: this rank runs its contiguous share of each step's
     * micro-batches (the gradient accumulation must be a multiple of the world size), the
     * optimizer's state is partitioned over the ranks ({@link ShardedOptimizer}), each rank writes
     * its moments' shard and rank 0 the log and the trained tensors ({@link ShardedCheckpoint}).
     * Every rank must call {@link #train} with the same settings, model and task.
     */
    public QatTrainer withProcessGroup(ProcessGroup g) {
        this.group = g;
        return this;
    }

    /**
     * With a process group of several ranks, also shards the trained tensors themselves (ZeRO-3 /
     * FSDP style, {@link WeightShards}): each array is held between uses by its owner only (the
     * owner of its AdamW moments); the student is trained through its blocks ({@link
     * Task#studentBlockwise} must cut it) and each block's arrays are gathered before its forward
     * and again before its recomputation, released after each, and its gradients summed onto
     * their owners right after its backward. The units are the blocks, the modules named
     * {@code <prefix><index>} for the one prefix given, and the layers before and after them.
     * Checkpoints keep each rank's tensors in its shard; rank 0 holds everything at the end (for
     * the export). On one rank it changes nothing.
     */
    public QatTrainer withShardedWeights(List<String> blockPrefixes) {
        if (blockPrefixes.size() != 1) {
            throw new IllegalArgumentException("weight sharding numbers the blocks by one name prefix, got "
                    + blockPrefixes);
        }
        this.shardedBlockPrefixes = List.copyOf(blockPrefixes);
        return this;
    }

    /**
     * The bytes of trained tensors this rank holds now (read from the arrays' shapes), all of them
     * in full, and the most held at once during the last step; null without weight sharding.
     */
    public TrainedBytes trainedBytes() {
        WeightShards w = shards;
        return w == null ? null : new TrainedBytes(w.heldBytes(), w.totalBytes(), stepPeakBytes,
                w.designPeakBytes(QatLayers.PHI_GROUP));
    }

    /**
     * See {@link #trainedBytes}; {@code designPeak} is what the step may hold at most by design
     * ({@link WeightShards#designPeakBytes}), beside the measured {@code stepPeak}.
     */
    public record TrainedBytes(long held, long total, long stepPeak, long designPeak) {}

    /**
     * Asks a running {@link #train} to checkpoint at the end of the step in progress and stop with
     * {@link Stopped}; a rerun resumes from there. {@code train} asks itself on SIGTERM (a JVM
     * shutdown hook that waits up to a minute for the checkpoint).
     */
    public void requestStop() {
        stopRequested = true;
    }

    /** Training stopped on request after a checkpoint; the work directory resumes from {@link #step()}. */
    public static final class Stopped extends RuntimeException {
        private final int step;

        Stopped(int step, Path state) {
            super("QAT stopped on request after step " + step + "; checkpoint " + state + " written, run again to resume");
            this.step = step;
        }

        public int step() {
            return step;
        }
    }

    /** Linear warm-up to 1, then cosine with hard restarts down to 0 (diffusers' schedule of that name). */
    public static float lrFactor(int step, int warmup, int steps, int cycles) {
        if (step < warmup) {
            return (step + 1) / (float) warmup;
        }
        double p = (step - warmup) / (double) Math.max(1, steps - warmup);
        if (p >= 1) {
            return 0f;
        }
        return (float) Math.max(0, 0.5 * (1 + Math.cos(Math.PI * ((cycles * p) % 1.0))));
    }

    /**
     * Trains {@code student} (with {@code layers} installed) in {@code workDir}, resuming from its
     * checkpoint if there is one. At the end Φ is removed (the deployed model has none).
     *
     * @return the number of the first step this call ran (0 for a fresh run)
     */
    public int train(Module student, QatLayers layers, Task task, NDManager manager, Path workDir,
            StepListener listener) throws IOException {
        Files.createDirectories(workDir);
        Path logCsv = workDir.resolve(LOG);
        Path state = workDir.resolve(STATE);
        int world = group.worldSize();
        if (s.gradAccum() % world != 0) {
            throw new IllegalArgumentException("gradient accumulation " + s.gradAccum() + " must be a multiple of "
                    + "the world size " + world + " (each rank takes an equal share of a step's micro-batches)");
        }
        boolean writer = group.rank() == 0;
        List<AdamW.Group> groups = layers.groups(student, s.lr());
        ShardedOptimizer opt = new ShardedOptimizer(groups, 0.9f, 0.95f, 1e-8f, optimizerDevice, group);
        List<String> names = List.copyOf(layers.kernels().keySet());
        WeightShards shards = null;
        if (shardedBlockPrefixes != null && world > 1) {
            shards = weightShards(student, layers, groups, shardedBlockPrefixes.get(0), group);
            opt.gradientsOnOwners();
            shards.releaseNotOwned();
        }
        this.shards = shards;
        int start = 0;
        if (Files.exists(state)) {
            start = resume(state, student, layers, opt, shards, manager, logCsv, writer);
        } else if (writer) {
            write(logCsv, "step,loss,grad_norm,lr_factor,seconds," + String.join(",",
                    names.stream().map(n -> "rank:" + n).toList()) + "," + String.join(",",
                    opt.groupNames().stream().map(g -> "grad_norm:" + g).toList()) + "," + MEMORY_COLUMN + "\n",
                    false);
        }
        if (start > 0) {
            listener.onResume(start);
        }
        layers.setRequiresGradient(groups, true);
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        Thread onSigterm = new Thread(() -> {
            requestStop();
            try {
                done.await(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "qat-checkpoint-on-exit");
        Runtime.getRuntime().addShutdownHook(onSigterm);
        try {
            for (int step = start; step < s.steps(); step++) {
                long t0 = System.nanoTime();
                if (shards != null) {
                    shards.resetPeak();
                }
                Map<String, Integer> ranks = s.decay() == null ? zeroRanks(names) : decay(layers, shards, step);
                float f = lrFactor(step, s.warmup(), s.steps(), s.cycles());
                double loss;
                double norm;
                try (NDScope scope = new NDScope()) {
                    loss = 0;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        gc.zeroGradients();
                        // Micro-batch k of step s is batch s * accum + k: the data of a step does not
                        // depend on how it was split, and without accumulation it is batch s.
                        // With W ranks, rank r takes micro-batches [r, r+1) * accum / W of them.
                        int share = s.gradAccum() / world;
                        for (int k = group.rank() * share; k < (group.rank() + 1) * share; k++) {
                            try (NDScope micro = new NDScope()) {
                                loss += microStep(task, step * s.gradAccum() + k, manager, gc, shards);
                            }
                        }
                    }
                    if (world > 1) {
                        double[] sum = {loss};
                        group.allReduceSum(sum);
                        loss = sum[0];
                    }
                    loss /= s.gradAccum();
                    norm = opt.step(f, s.maxGradNorm());
                }
                if (shards != null) {
                    stepPeakBytes = shards.peakHeldBytes();
                }
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%d,%.6g,%.6g,%.4g,%.3f", step + 1,
                        loss, norm, f, (System.nanoTime() - t0) / 1e9));
                names.forEach(n -> row.append(',').append(ranks.get(n)));
                opt.groupNames().forEach(g -> row.append(String.format(Locale.ROOT, ",%.6g",
                        opt.groupNorms().getOrDefault(g, Double.NaN))));
                row.append(',').append(memory == null ? "" : String.valueOf(memory.getAsLong()));
                if (writer) {
                    write(logCsv, row.append('\n').toString(), true);
                }
                listener.onStep(step + 1, loss, norm);
                boolean stop = stopRequested && step + 1 < s.steps();
                if (stop || (step + 1) % s.checkpointEvery() == 0 && step + 1 < s.steps()) {
                    layers.setRequiresGradient(groups, false);
                    checkpoint(state, student, layers, opt, shards, step + 1);
                    layers.setRequiresGradient(groups, true);
                }
                if (stop) {
                    throw new Stopped(step + 1, state);
                }
            }
            // The deployed model has no Φ: whatever is left after the schedule is removed here
            // (and EfficientDM's adapters are merged).
            layers.setRequiresGradient(groups, false);
            if (shards != null) {
                shards.gatherTo(0); // rank 0 writes the one export of the run
            }
            layers.finish();
        } finally {
            layers.setRequiresGradient(groups, false);
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(onSigterm);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting: the hook is running and waits for `done`
            }
        }
        return start;
    }

    /**
     * The weight shards of {@code groups}: owners as the optimizer's partition, units by the block
     * index in each trained tensor's name ({@code <prefix><index>.}), else the entry/exit unit.
     */
    private static WeightShards weightShards(Module student, QatLayers layers, List<AdamW.Group> groups,
            String prefix, ProcessGroup g) {
        Map<NDArray, String> names = new java.util.IdentityHashMap<>();
        QatCheckpoint.tensors(student, layers, new LinkedHashMap<>()).forEach((n, a) -> names.put(a, n));
        int[][] unit = new int[groups.size()][];
        int blocks = 0;
        for (int gi = 0; gi < groups.size(); gi++) {
            List<NDArray> arrays = groups.get(gi).arrays();
            unit[gi] = new int[arrays.size()];
            for (int i = 0; i < arrays.size(); i++) {
                String n = names.get(arrays.get(i));
                unit[gi][i] = n == null ? dev.qvgen.layers.train.BlockResidency.ENTRY_EXIT
                        : dev.qvgen.layers.train.BlockResidency.unitOf(n, List.of(prefix));
                blocks = Math.max(blocks, unit[gi][i] + 1);
            }
        }
        return new WeightShards(groups, ShardedOptimizer.partition(groups, g.worldSize()), unit, blocks, g);
    }

    /** Φ's rank decay at {@code step}; with weight sharding every rank needs Φ's values for it. */
    private Map<String, Integer> decay(QatLayers layers, WeightShards shards, int step) {
        if (shards == null) {
            return layers.decayTo(s.decay(), step);
        }
        shards.gatherGroup(QatLayers.PHI_GROUP);
        try {
            return layers.decayTo(s.decay(), step);
        } finally {
            shards.releaseGroup(QatLayers.PHI_GROUP);
        }
    }

    /** Forward and backward of one micro-batch (gradients add up in the parameters); its loss. */
    private double microStep(Task task, int index, NDManager manager, GradientCollector gc, WeightShards shards) {
        Batch b = task.batch(index, manager);
        NDArray teacher = s.loss() == Loss.DIFFUSION ? null : task.teacher(b).stopGradient();
        // The mean over the step's samples: each micro-batch's share is 1/accum of the gradient.
        float share = 1f / s.gradAccum();
        dev.qvgen.layers.train.Blockwise net = task.studentBlockwise(b);
        if (shards != null) {
            if (net == null) {
                throw new IllegalStateException("weight sharding trains the student block by block, but the task "
                        + "does not cut it at its blocks (activation checkpointing off?)");
            }
            if (net.blocks() != shards.blocks()) {
                throw new IllegalStateException("the student runs " + net.blocks() + " blocks, but its trained "
                        + "tensors name " + shards.blocks());
            }
            return dev.qvgen.layers.train.ActivationCheckpointing.backward(net, out -> loss(out, teacher, b), share,
                    gc, shards);
        }
        if (net != null) {
            return dev.qvgen.layers.train.ActivationCheckpointing.backward(net, out -> loss(out, teacher, b), share,
                    gc);
        }
        NDArray l = loss(task.student(b), teacher, b);
        double value = l.getFloat();
        gc.backward(s.gradAccum() == 1 ? l : dev.qvgen.layers.nn.Scalars.mul(l, share));
        return value;
    }

    private NDArray loss(NDArray out, NDArray teacher, Batch b) {
        return switch (s.loss()) {
            case DISTILLATION -> out.sub(teacher).square().mean();
            case DIFFUSION -> out.sub(b.target()).square().mean();
            case MIMICKING -> out.sub(teacher).square().mean().add(out.sub(b.target()).square().mean());
        };
    }

    private static void checkpoint(Path state, Module student, QatLayers layers, ShardedOptimizer opt,
            WeightShards shards, int step) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("step", String.valueOf(step));
        meta.put("adamw.steps", String.valueOf(opt.stepCount()));
        meta.put("adamw.skipped", String.valueOf(opt.skippedSteps()));
        if (opt.processGroup().worldSize() > 1) {
            ShardedCheckpoint.save(state, student, layers, opt, shards, meta, step);
        } else {
            QatCheckpoint.save(state, student, layers, opt.state(), meta);
        }
    }

    private static int resume(Path state, Module student, QatLayers layers, ShardedOptimizer opt, WeightShards shards,
            NDManager manager, Path logCsv, boolean writer) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        try (NDManager tmp = manager.newSubManager()) {
            Map<String, NDArray> moments = new LinkedHashMap<>();
            // the trained tensors from state.safetensors, or from the shards of a weight-sharded run;
            // with weight sharding, those this rank owns only (it holds no others)
            List<dev.qvgen.layers.io.SafeTensorsFile> files = ShardedCheckpoint.openForTensors(state);
            try {
                moments.putAll(QatCheckpoint.load(files, student, layers, tmp, "adamw.", meta,
                        shards == null ? a -> true : shards::owns));
            } finally {
                files.forEach(dev.qvgen.layers.io.SafeTensorsFile::close);
            }
            // written by several ranks: this rank's moments (under its own partition) from their shards
            moments.putAll(ShardedCheckpoint.loadMoments(state, meta, opt.state().keySet(), tmp));
            opt.loadState(moments, Integer.parseInt(meta.get("adamw.steps")), Integer.parseInt(meta.get("adamw.skipped")));
        }
        int step = Integer.parseInt(meta.get("step"));
        if (!writer) {
            return step;
        }
        // The log may run past the checkpoint (steps done after it were lost): cut it back. A
        // crash mid-append leaves a torn last row, which is dropped with the rest.
        List<String> keep = new ArrayList<>();
        for (String line : Files.readAllLines(logCsv)) {
            if (keep.isEmpty() || (rowStep(line) > 0 && rowStep(line) <= step)) {
                keep.add(line);
            }
        }
        write(logCsv, String.join("\n", keep) + "\n", false);
        return step;
    }

    /** The step number a log row starts with, or -1 for a torn or foreign row. */
    private static int rowStep(String line) {
        int comma = line.indexOf(',');
        try {
            return comma > 0 ? Integer.parseInt(line.substring(0, comma)) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void write(Path file, String text, boolean append) throws IOException {
        if (append) {
            try {
                Files.writeString(file, text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw dev.qvgen.layers.io.IoErrors.cannot("append to", file, e);
            }
            return;
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, text);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw dev.qvgen.layers.io.IoErrors.cannot("write", file, e);
        }
    }

    private static Map<String, Integer> zeroRanks(List<String> names) {
        Map<String, Integer> m = new LinkedHashMap<>();
        names.forEach(n -> m.put(n, 0));
        return m;
    }
}

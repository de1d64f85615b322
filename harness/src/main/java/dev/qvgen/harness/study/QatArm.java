package dev.qvgen.harness.study;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

import ai.djl.ndarray.types.DataType;

import dev.qvgen.harness.Progress;
import dev.qvgen.layers.nn.Precision;
import dev.qvgen.layers.train.HostOffload;
import dev.qvgen.models.family.DenoisingTransformer;
import dev.qvgen.models.family.OffloadedTransformer;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.Methods;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.deploy.PackedExport;
import dev.qvgen.quantizer.deploy.PackedLinear;
import dev.qvgen.quantizer.qat.QatLayers;
import dev.qvgen.quantizer.qat.QatTrainer;
import dev.qvgen.quantizer.qat.CachedTeacherTask;
import dev.qvgen.quantizer.qat.TeacherCache;
import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.quantizer.qat.RankDecay;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Quantization-aware training of any study model's transformer (QVGen with Φ and rank decay, LSQ,
 * Q-DM, EfficientDM: see {@link Methods}) by distillation from its full-precision copy, on the
 * model's batches (noised at uniform timesteps, as the official QVGen training does). The text
 * encoder is never trained. The result is exported packed ({@link PackedExport}); an existing
 * export means the arm is done, and an interrupted training resumes from its checkpoint.
 */
public final class QatArm {
    public static final String EXPORT = "quantized.safetensors";

    /**
     * Intra-op threads of QAT on the CPU, whatever the machine: libtorch splits the backward's
     * reductions by thread count, so a QAT run on 1 and on 2 threads drifts apart within 20 steps
     * (measured; inference does not), and the study's conclusions would depend on the core count.
     */
    public static final int CPU_THREADS = 2;

    /** The one line of --offload-teacher with --teacher-cache (the CLI says it before anything loads). */
    public static final String OFFLOAD_WITH_CACHE = "--offload-teacher moves the teacher's blocks to the device "
            + "one at a time, but --teacher-cache runs no teacher at all: give one of them";

    /** Batch stream of training (calibration uses another). */
    static final long TRAINING_STREAM = 0;

    private final StudyModel model;
    private final QatRecipe s;
    private final PrintStream log;
    private Device device = Device.cpu();
    private Boolean bf16Products;
    private Boolean checkpointing;
    private boolean optimizerOnCpu;
    private dev.qvgen.layers.dist.ProcessGroup group = dev.qvgen.layers.dist.LocalGroup.INSTANCE;
    private TeacherCache teacherCache;
    private boolean shardWeights;
    private boolean offloadTeacher;

    public QatArm(StudyModel model, QatRecipe recipe, PrintStream log) {
        this.model = model;
        this.s = recipe;
        this.log = log;
    }

    /** Trains on {@code d} (e.g. a GPU) instead of the CPU. */
    public QatArm onDevice(Device d) {
        this.device = d;
        return this;
    }

    /**
     * Mixed precision as the official recipe trains (bf16 autocast, float32 master weights and
     * optimizer state, teacher in bf16) or plain float32. Default: mixed on a GPU, float32 on the
     * CPU, where bfloat16 is no faster and the study's CPU results stay as they were.
     */
    public QatArm mixedPrecision(boolean on) {
        this.bf16Products = on;
        return this;
    }

    /**
     * Per-block activation checkpointing (default: the model's {@link
     * StudyModel#checkpointsActivationsByDefault}; a model that cannot be cut at its blocks trains
     * whole): memory of one block's activations instead of all, for one more forward.
     */
    public QatArm activationCheckpointing(boolean on) {
        this.checkpointing = on;
        return this;
    }

    /** Keeps AdamW's moments in host memory while the model trains on a GPU (the recipe's offload). */
    public QatArm optimizerOnCpu(boolean on) {
        this.optimizerOnCpu = on;
        return this;
    }

    /**
     * Trains data-parallel as one rank of {@code g} (see {@link QatTrainer#withProcessGroup}); rank 0
     * alone writes the log, the trained tensors and the packed export.
     */
    public QatArm processGroup(dev.qvgen.layers.dist.ProcessGroup g) {
        this.group = g;
        return this;
    }

    /**
     * Reads the teacher's outputs from {@code cache} (made by {@link TeacherPrecompute} for this
     * model, data and recipe; the caller checked its identity) instead of running the teacher: the
     * teacher is then never loaded, so its weights take no memory anywhere in the process.
     */
    public QatArm teacherCache(TeacherCache cache) {
        this.teacherCache = cache;
        return this;
    }

    /** Micro-batch {@code index} of training: the one stream that QAT and its teacher cache both draw. */
    static QatTrainer.Batch trainingBatch(StudyModel.Batches data, QatRecipe s, int index, NDManager mgr) {
        return data.batch(TRAINING_STREAM + s.seed(), index, s.batch(), s.captionDropout(), mgr);
    }

    /**
     * With a process group of several ranks, shards the trained weights and gradients too
     * ({@link QatTrainer#withShardedWeights}); needs per-block activation checkpointing and a
     * method that trains the weights (not EfficientDM's adapters).
     */
    public QatArm shardWeights(boolean on) {
        this.shardWeights = on;
        return this;
    }

    /**
     * Keeps the teacher's weights in host memory and copies each block's (and the entry/exit
     * layers') to the device right before its forward, freeing it after ({@link
     * OffloadedTransformer}): the teacher takes one block of device memory instead of all.
     */
    public QatArm offloadTeacher(boolean on) {
        this.offloadTeacher = on;
        return this;
    }

    /**
     * What weight sharding needs: per-block activation checkpointing (each block's weights are
     * gathered around its forward and recomputation) and a method that trains the weights. Checked
     * by {@code qvgen qat} before the ranks meet and by the arm before anything loads.
     */
    public static void checkShardWeights(String method, Methods.Qat qat, boolean checkpointing) {
        if (!checkpointing) {
            throw new dev.qvgen.harness.BadInputException("--shard-weights gathers each block's weights around its "
                    + "forward and recomputation, so it needs per-block activation checkpointing (drop "
                    + "--no-activation-checkpointing)");
        }
        if (qat.loraRank() > 0) {
            throw new dev.qvgen.harness.BadInputException("--shard-weights shards the trained weights, but " + method
                    + " freezes them and trains LoRA adapters only");
        }
    }

    /** Whether this arm trains in mixed precision on its device. */
    public boolean mixedPrecision() {
        return bf16Products != null ? bf16Products : device.isGpu();
    }

    /**
     * Trains the QAT {@code method} at {@code spec} in {@code workDir}; returns the export (skips
     * training if it is present).
     */
    public Path trainAndExport(String method, QuantSpec spec, Path workDir) throws IOException {
        Path export = workDir.resolve(EXPORT);
        if (Files.exists(export)) {
            log.printf("[qat %s-%s] export present, training skipped%n", method, spec.label());
            return export;
        }
        Methods.Method m = Methods.get(method);
        if (!m.isQat()) {
            throw new IllegalArgumentException("not a QAT method: " + method);
        }
        Methods.Qat qat = m.qat();
        ai.djl.engine.Engine.getInstance(); // loads libtorch, which JniUtils calls directly
        int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        if (!device.isGpu()) {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(CPU_THREADS);
        }
        try {
            return train(method, spec, workDir, qat, export);
        } finally {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
        }
    }

    private Path train(String method, QuantSpec spec, Path workDir, Methods.Qat qat, Path export) throws IOException {
        boolean mixed = mixedPrecision();
        boolean checkpointing = this.checkpointing != null ? this.checkpointing
                : model.checkpointsActivationsByDefault();
        if (teacherCache != null) {
            // before anything loads: the cache must hold every micro-batch of the run, its files present
            teacherCache.requireMicroBatches(Math.multiplyExact(s.steps(), s.gradAccum()));
        }
        if (offloadTeacher && teacherCache != null) {
            throw new dev.qvgen.harness.BadInputException(OFFLOAD_WITH_CACHE);
        }
        if (shardWeights) {
            checkShardWeights(method, qat, checkpointing);
        }
        // an offloaded teacher is loaded (and cast) in host memory; its blocks visit the device one at a time
        try (NDManager manager = NDManager.newBaseManager(device);
                NDManager teacherManager = offloadTeacher ? NDManager.newBaseManager(Device.cpu()) : null;
                StudyModel.Instance teacher = teacherCache != null ? null
                        : model.loadForTraining(offloadTeacher ? teacherManager : manager);
                StudyModel.Instance student = model.loadForTraining(manager)) {
            DenoisingTransformer st = student.transformer();
            DenoisingTransformer tt = teacher == null ? null : teacher.transformer();
            if (mixed && tt != null) {
                Precision.cast(tt.module(), DataType.BFLOAT16, offloadTeacher ? Device.cpu() : device);
            }
            if (offloadTeacher) {
                if (!tt.cutsAtBlocks()) {
                    throw new dev.qvgen.harness.BadInputException("--offload-teacher moves the teacher block by "
                            + "block, but " + model.name() + " cannot be cut at its blocks");
                }
                OffloadedTransformer off = OffloadedTransformer.of(tt, device, HostOffload::copy);
                log.printf(Locale.ROOT, "[qat %s-%s] teacher offloaded: %d bytes in host memory, at most %d on the "
                        + "device at a time (one block; entry/exit layers %d)%n", method, spec.label(),
                        off.offload().units().stream().mapToLong(off.offload()::unitBytes).sum(),
                        off.offload().units().stream().mapToLong(off.offload()::unitBytes).max().orElse(0),
                        off.offload().unitBytes(dev.qvgen.layers.train.BlockResidency.ENTRY_EXIT));
                tt = off;
            }
            log.printf("[qat %s-%s] %s, activation checkpointing %s%s%n", method, spec.label(),
                    mixed ? "mixed precision (bf16 products and teacher, float32 master weights)" : "float32",
                    checkpointing && st.cutsAtBlocks() ? "per block" : "off", teacherCache == null ? ""
                            : ", teacher outputs read from " + teacherCache.directory() + " (no teacher loaded)");
            if (shardWeights && !st.cutsAtBlocks()) {
                throw new dev.qvgen.harness.BadInputException("--shard-weights needs a transformer that trains block "
                        + "by block; " + model.name() + " cannot be cut at its blocks");
            }
            boolean sharded = shardWeights && group.worldSize() > 1;
            if (shardWeights) {
                log.printf("[qat %s-%s] weight sharding %s%n", method, spec.label(), sharded ? "over "
                        + group.worldSize() + " ranks (each block gathered for its forward and recomputation)"
                        : "has no effect on one rank: every tensor stays here");
            }
            QatLayers.Options options = new QatLayers.Options(qat.phiRank() > 0 ? s.phiRank() : 0,
                    qat.loraRank() > 0 ? s.phiRank() : 0, s.clipGroups());
            QatLayers layers = QatLayers.install(st.module(), spec, LayerSelection.insideBlocks(st.blockPrefixes()),
                    options, manager);
            int r0 = layers.initialPhiRank();
            RankDecay decay = r0 <= 0 ? null
                    : s.decayPeriod() > 0 ? qat.decayWithPeriod(s.decayPeriod())
                    : qat.fittedDecay(s.steps(), r0, s.decayFraction());
            QatTrainer.Settings ts = new QatTrainer.Settings(s.steps(), s.warmupSteps(), 1,
                    QatLayers.LearningRates.official().scaled(s.lrScale()), 1.0, decay,
                    s.loss() == null ? qat.loss() : s.loss(), s.checkpointEvery(), s.gradAccum());
            Progress progress = new Progress("qat " + method + "-" + spec.label(), s.steps(), log);
            // the text encoder is never trained: without a teacher the student's gives the same states
            StudyModel.Batches data = model.batches(teacher != null && !offloadTeacher ? teacher : student);
            QatTrainer.Task live = new DistillationTask(st, tt, mixed, checkpointing) {
                @Override
                public QatTrainer.Batch batch(int index, NDManager mgr) {
                    return trainingBatch(data, s, index, mgr);
                }
            };
            Device target = device;
            QatTrainer trainer = new QatTrainer(ts).withOptimizerStateOn(optimizerOnCpu ? Device.cpu() : null)
                    .withProcessGroup(group)
                    .withMemoryProbe(() -> dev.qvgen.harness.profile.Devices.memoryInUse(target));
            if (sharded) {
                trainer.withShardedWeights(st.blockPrefixes());
            }
            CachedTeacherTask cached = teacherCache == null ? null
                    : new CachedTeacherTask(live, teacherCache, s.gradAccum(), s.steps()).onProblemAhead(
                            trainer::requestStop);
            QatTrainer.Task task = cached != null ? cached : live;
            QatTrainer.StepListener listener = new QatTrainer.StepListener() {
                @Override
                public void onStep(int step, double loss, double norm) {
                    progress.step(String.format(Locale.ROOT, "loss %.4g grad %.3g", loss, norm));
                    QatTrainer.TrainedBytes b = trainer.trainedBytes();
                    if (b != null) {
                        // measured from the arrays' tensors after the step, i.e. between steps
                        log.printf(Locale.ROOT, "[qat %s-%s] rank %d step %d: holds %d of %d bytes of trained "
                                + "tensors (%.3f), at most %d during the step (design bound %d)%n", method,
                                spec.label(), group.rank(), step, b.held(), b.total(), b.held() / (double) b.total(),
                                b.stepPeak(), b.designPeak());
                    }
                }

                @Override
                public void onResume(int step) {
                    // before the loop, so the counter goes on from the checkpoint's step
                    log.printf("[qat %s-%s] resumed from step %d%n", method, spec.label(), step);
                    progress.skip(step);
                }
            };
            try {
                trainer.train(st.module(), layers, task, manager, workDir, listener);
            } catch (QatTrainer.Stopped stopped) {
                if (cached == null || cached.problem() == null) {
                    throw stopped;
                }
                // a bad shard ahead: the steps before it are checkpointed, the run stops with one line
                throw new CheckpointException(cached.problem() + "; QAT checkpointed after step " + stopped.step()
                        + ": repair the cache (qvgen qat-teacher) and run again to resume");
            }
            if (group.rank() != 0) {
                return export; // rank 0 writes the one export of the run
            }
            Map<String, PackedLinear> packed = new LinkedHashMap<>();
            layers.layers().forEach((name, l) -> packed.put(name, layers.kernels().get(name).pack(l)));
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("method", method);
            meta.put("bits", spec.label());
            meta.put("model", model.name());
            meta.put("steps", String.valueOf(s.steps()));
            meta.put("batch", String.valueOf(s.batch() * s.gradAccum()));
            meta.put("decay_period", decay == null ? "none" : String.valueOf(decay.period()));
            if (decay != null && (decay.strategy() != RankDecay.Strategy.SVD || decay.keep() != RankDecay.HALF)) {
                // only the ablations say so: QVGen's own exports keep the metadata they always had
                meta.put("decay", decay.strategy().name().toLowerCase(Locale.ROOT) + " keep " + decay.keep());
            }
            meta.put("precision", mixed ? "bf16-mixed" : "fp32");
            PackedExport.write(export, st.module(), packed, meta);
        }
        return export;
    }
}

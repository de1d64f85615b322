package dev.qvgen.harness.cli;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.harness.Djl;
import dev.qvgen.harness.data.LatentDataset;
import dev.qvgen.harness.study.QatArm;
import dev.qvgen.harness.study.QatRecipe;
import dev.qvgen.harness.study.TeacherCacheIdentity;
import dev.qvgen.harness.study.ZooStudyModel;
import dev.qvgen.quantizer.Methods;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.qat.QatTrainer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Quantization-aware training of a zoo model on encoded clips, by the official recipe unless told otherwise. */
@Command(name = "qat", mixinStandardHelpOptions = true,
        description = "Quantization-aware training of a diffusers text-to-video transformer on clips encoded by "
                + "`qvgen data prepare`: distillation from a frozen full-precision copy, the official QVGen recipe "
                + "(Wan2.1: batch 48, 2667 steps, rank-decay period 444; CogVideoX: batch 64, 2000 steps, period 333; "
                + "AdamW lr 3e-5, warm-up 267, gradient-norm clip 1.0, caption dropout 0.05). Writes log.csv (loss, "
                + "gradient norm, learning rate, every layer's Φ rank, step time), state.safetensors checkpoints and "
                + "the packed export quantized.safetensors; re-running in --out resumes.")
public final class QatCommand implements Callable<Integer> {
    @Mixin
    ZooModelOptions zoo;

    @Option(names = "--method", required = true, description = "A QAT method of the methods registry.")
    String method;

    @Option(names = "--steps", description = "Optimizer steps (default: the recipe's).")
    Integer steps;

    @Option(names = "--batch", description = "Samples per forward (default: ${DEFAULT-VALUE}).")
    int batch = 1;

    @Option(names = "--grad-accum", description = "Forwards per optimizer step (default: the recipe's batch / --batch).")
    Integer gradAccum;

    @Option(names = "--checkpoint-every", description = "Steps between checkpoints (default: the recipe's).")
    Integer checkpointEvery;

    @Option(names = "--loss", description = "distillation, diffusion or mimicking (default: the method's own).")
    QatTrainer.Loss loss;

    @Option(names = "--precision", description = "bf16: mixed precision as the official recipe trains (bfloat16 "
            + "products and attention, float32 master weights and AdamW state, a bfloat16 teacher); fp32: all float32 "
            + "(default: bf16 on CUDA, fp32 on the CPU).")
    String precision;

    @picocli.CommandLine.Mixin
    TrainingMemoryOptions memory;

    @Option(names = "--teacher-cache", description = "Read the teacher's outputs from this directory, made by "
            + "`qvgen qat-teacher` for the same model, --data, --batch and --precision, instead of running the teacher: "
            + "the teacher is never loaded (a copy of the model less in memory). A cache of another run, or one "
            + "holding fewer micro-batches than --steps x --grad-accum, is refused.")
    Path teacherCache;

    @Option(names = "--shard-weights", description = "With WORLD_SIZE > 1: shard the trained weights and their "
            + "gradients over the ranks too (ZeRO-3 / FSDP style, whole tensors to owners): each block's weights are "
            + "gathered for its forward and its recomputation and released after; needs activation checkpointing. "
            + "No effect on one rank.")
    boolean shardWeights;

    @Option(names = "--offload-teacher", description = "Keep the teacher's weights in host memory and copy each block "
            + "(and the layers before and after the blocks) to the device right before its forward, freeing it after: "
            + "the teacher takes one block of device memory instead of the whole model, for one host-to-device copy "
            + "of its weights per teacher forward. Not with --teacher-cache (no teacher runs then).")
    boolean offloadTeacher;

    @Override
    public Integer call() throws Exception {
        QuantSpec spec = checkedMethod(method, zoo.bits, true);
        if (batch < 1 || (steps != null && steps < 1) || (gradAccum != null && gradAccum < 1)
                || (checkpointEvery != null && checkpointEvery < 1) || zoo.threads < 1) {
            throw new BadInputException("--batch, --steps, --grad-accum, --checkpoint-every and --threads must be "
                    + "positive");
        }
        if (precision != null && !List.of("bf16", "fp32").contains(precision)) {
            throw new BadInputException("--precision must be bf16 or fp32, got '" + precision + "'");
        }
        if (offloadTeacher && teacherCache != null) {
            throw new BadInputException(QatArm.OFFLOAD_WITH_CACHE);
        }
        if (shardWeights) {
            QatArm.checkShardWeights(method, Methods.get(method).qat(), memory.activationCheckpointing);
        }
        // torchrun-style launch (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT): one rank of a data-parallel run
        dev.qvgen.layers.dist.DistEnv dist = dev.qvgen.layers.dist.DistEnv.fromEnvironment();
        if (dist.distributed()) {
            dev.qvgen.layers.dist.C10dGroup.requireLibrary(); // before any loading, as the first line
        }
        Path dir = zoo.directory();
        QatRecipe recipe = recipe(zoo.wanRecipe(dir));
        if (recipe.gradAccum() % dist.worldSize() != 0) {
            throw new BadInputException("--grad-accum " + recipe.gradAccum() + " must be a multiple of WORLD_SIZE "
                    + dist.worldSize() + " (each rank takes an equal share of a step's micro-batches)");
        }
        Djl.configure(zoo.threads);
        try (LatentDataset clips = LatentDataset.open(zoo.requiredData("qat"));
                dev.qvgen.layers.dist.ProcessGroup group = dist.openGroup(java.time.Duration.ofMinutes(30))) {
            if (dist.distributed()) {
                System.out.printf(Locale.ROOT, "qat: rank %d of %d (local rank %d), c10d gloo at %s:%d%n", dist.rank(),
                        dist.worldSize(), dist.localRank(), dist.masterAddr(), dist.masterPort());
            }
            ZooStudyModel model = zoo.studyModel(clips);
            System.out.printf(Locale.ROOT, "qat %s %s-%s: %d steps x %d samples (%d per forward), %d clips%n",
                    model.name(), method, spec.label(), recipe.steps(), recipe.batch() * recipe.gradAccum(),
                    recipe.batch(), clips.size());
            long t0 = System.nanoTime();
            QatArm arm = new QatArm(model, recipe, System.out).onDevice(zoo.device)
                    .activationCheckpointing(memory.activationCheckpointing).optimizerOnCpu(memory.optimizerOnCpu)
                    .processGroup(group).shardWeights(shardWeights).offloadTeacher(offloadTeacher);
            if (precision != null) {
                arm.mixedPrecision(precision.equals("bf16"));
            }
            Path export;
            // a finished run (its export present) needs no cache
            boolean cacheNeeded = teacherCache != null && !java.nio.file.Files.exists(zoo.out.resolve(QatArm.EXPORT));
            try (dev.qvgen.quantizer.qat.TeacherCache cache = !cacheNeeded ? null
                    : dev.qvgen.quantizer.qat.TeacherCache.open(teacherCache, TeacherCacheIdentity.of(dir,
                            zoo.data, recipe, arm.mixedPrecision()))) {
                if (cache != null) {
                    arm.teacherCache(cache);
                    System.out.printf(Locale.ROOT, "qat: teacher outputs from %s (%d micro-batches, made on the %s)%n",
                            teacherCache, cache.manifest().microBatches(), cache.manifest().about().get("device"));
                }
                export = arm.trainAndExport(method, spec, zoo.out);
            }
            System.out.printf(Locale.ROOT, "qat: %.1f s; %s %s%n", (System.nanoTime() - t0) / 1e9,
                    group.rank() == 0 ? "wrote" : "rank 0 writes", export);
        }
        return 0;
    }

    /** The official recipe, with this command's overrides. */
    private QatRecipe recipe(boolean wan) {
        return recipe(wan, batch, gradAccum, steps, checkpointEvery, loss);
    }

    /** The official recipe with the overrides of `qat` (null: the recipe's), shared by `qat-teacher`. */
    static QatRecipe recipe(boolean wan, int batch, Integer gradAccum, Integer steps, Integer checkpointEvery,
            QatTrainer.Loss loss) {
        QatRecipe r;
        try {
            r = QatRecipe.official(wan, gradAccum != null ? 1 : batch);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage() + "; give --grad-accum with it");
        }
        if (gradAccum != null) {
            r = new QatRecipe(r.steps(), batch, gradAccum, r.lrScale(), r.warmupSteps(), r.captionDropout(), r.seed(),
                    r.phiRank(), r.clipGroups(), r.decayPeriod(), r.decayFraction(), r.checkpointEvery(), r.loss());
        }
        if (steps != null) {
            // a shorter run keeps the recipe's shape: warm-up 10%, rank decay fitted to the steps
            r = r.withSteps(steps, r.batch()).withFittedDecay();
        }
        if (checkpointEvery != null) {
            r = r.withCheckpointEvery(checkpointEvery);
        }
        return r.withLoss(loss);
    }

    /**
     * The bit widths of a registered method of the wanted kind.
     *
     * @param qat true: a QAT method; false: a post-training one
     */
    static QuantSpec checkedMethod(String method, String bits, boolean qat) {
        List<String> kind = Methods.names().stream().filter(n -> !n.equals(Methods.FP))
                .filter(n -> Methods.get(n).isQat() == qat).toList();
        if (!kind.contains(method)) {
            throw new BadInputException("--method must be one of " + String.join(", ", kind) + ", got '" + method + "'");
        }
        try {
            return QuantSpec.parse(bits);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--bits: " + e.getMessage());
        }
    }
}

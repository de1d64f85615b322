package dev.qvgen.harness.cli;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.harness.Djl;
import dev.qvgen.harness.data.LatentDataset;
import dev.qvgen.harness.run.OutputDir;
import dev.qvgen.harness.run.RunLock;
import dev.qvgen.harness.study.QatRecipe;
import dev.qvgen.harness.study.TeacherCacheIdentity;
import dev.qvgen.harness.study.TeacherPrecompute;
import dev.qvgen.harness.study.ZooStudyModel;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** The teacher's outputs for a QAT run, computed ahead: `qvgen qat --teacher-cache` then loads no teacher. */
@Command(name = "qat-teacher", mixinStandardHelpOptions = true,
        description = "Run the full-precision transformer once over exactly the micro-batches `qvgen qat` draws for "
                + "steps 0..N-1 (same clips, timesteps, noise and caption dropout, seeded by the micro-batch) and write "
                + "its outputs into --out in shards with a manifest (teacher-cache.json: model, data, sampling seed, "
                + "samples per forward, precision, each shard's SHA-256). Give `qvgen qat` the same --batch, "
                + "--precision and --device kind, and --teacher-cache DIR. Re-running resumes after the finished "
                + "shards, and a larger --steps extends the cache.")
public final class QatTeacherCommand implements Callable<Integer> {
    @Option(names = "--model", description = "A registered model; with --model-dir.")
    String model;

    @Option(names = "--model-dir", description = "The model's published diffusers checkpoint.")
    Path modelDir;

    @Option(names = "--pipeline-dir", description = "Any diffusers text-to-video pipeline in place of --model and "
            + "--model-dir.")
    Path pipelineDir;

    @Option(names = "--data", required = true, description = "Encoded training clips (`qvgen data prepare`), as "
            + "`qvgen qat` gets them.")
    Path data;

    @Option(names = "--out", required = true, description = "The cache directory.")
    Path out;

    @Option(names = "--steps", description = "Optimizer steps to cover (default: the recipe's).")
    Integer steps;

    @Option(names = "--batch", description = "Samples per forward, as `qvgen qat --batch` (default: ${DEFAULT-VALUE}).")
    int batch = 1;

    @Option(names = "--grad-accum", description = "Forwards per optimizer step, as `qvgen qat --grad-accum` (default: "
            + "the recipe's batch / --batch).")
    Integer gradAccum;

    @Option(names = "--precision", description = "The teacher's precision in the QAT run: bf16 (mixed-precision QAT) "
            + "or fp32 (default: bf16 on CUDA, fp32 on the CPU, as `qvgen qat`).")
    String precision;

    @Option(names = "--shard-steps", description = "Steps per shard, the unit of resumption (default: "
            + "${DEFAULT-VALUE}).")
    int shardSteps = 1;

    @Option(names = "--device", defaultValue = "cpu", converter = DeviceConverter.class,
            description = "cpu or cuda:N (default: ${DEFAULT-VALUE}); the QAT run's device kind gives bit-identical "
                    + "outputs.")
    ai.djl.Device device;

    @Option(names = "--threads", description = "Intra-op threads for loading (default: all cores; the teacher runs "
            + "on QAT's CPU thread count).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Override
    public Integer call() throws Exception {
        if (batch < 1 || (steps != null && steps < 1) || (gradAccum != null && gradAccum < 1) || shardSteps < 1
                || threads < 1) {
            throw new BadInputException("--batch, --steps, --grad-accum, --shard-steps and --threads must be positive");
        }
        if (precision != null && !List.of("bf16", "fp32").contains(precision)) {
            throw new BadInputException("--precision must be bf16 or fp32, got '" + precision + "'");
        }
        ZooModelOptions zoo = new ZooModelOptions();
        zoo.model = model;
        zoo.modelDir = modelDir;
        zoo.pipelineDir = pipelineDir;
        zoo.data = data;
        zoo.out = out;
        zoo.device = device;
        Path dir = zoo.directory();
        QatRecipe recipe = QatCommand.recipe(zoo.wanRecipe(dir), batch, gradAccum, steps, null, null);
        boolean bf16 = precision != null ? precision.equals("bf16") : device.isGpu();
        OutputDir.check("--out", out);
        Djl.configure(threads);
        try (LatentDataset clips = LatentDataset.open(data)) {
            OutputDir.create("--out", out); // only once the inputs are known good
            try (RunLock lock = RunLock.acquire(out, "qat-teacher", System.out)) {
                precompute(dir, recipe, bf16, zoo, clips);
            }
        }
        return 0;
    }

    private void precompute(Path dir, QatRecipe recipe, boolean bf16, ZooModelOptions zoo, LatentDataset clips)
            throws java.io.IOException {
        ZooStudyModel m = zoo.studyModel(clips);
        System.out.printf(Locale.ROOT, "qat-teacher %s: %d steps x %d samples (%d per forward), %s teacher on %s, "
                + "%d clips%n", m.name(), recipe.steps(), recipe.batch() * recipe.gradAccum(), recipe.batch(),
                bf16 ? "bf16" : "fp32", device, clips.size());
        long t0 = System.nanoTime();
        new TeacherPrecompute(m, recipe, device, bf16, System.out).run(out,
                TeacherCacheIdentity.of(dir, data, recipe, bf16), shardSteps);
        System.out.printf(Locale.ROOT, "qat-teacher: %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }
}

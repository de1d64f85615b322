package dev.qvgen.harness.cli;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.harness.Djl;
import dev.qvgen.harness.data.LatentDataset;
import dev.qvgen.harness.study.QatArm;
import dev.qvgen.harness.study.QatRecipe;
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

    @Option(names = "--bits", required = true, description = "w4a4 or w3a3 (any wNaM).")
    String bits;

    @Option(names = "--out", required = true, description = "Work directory.")
    Path out;

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

    @Option(names = "--device", defaultValue = "cpu", converter = DeviceConverter.class,
            description = "cpu or cuda:N (default: ${DEFAULT-VALUE}).")
    ai.djl.Device device;

    @Option(names = "--threads", description = "Intra-op threads (default: all cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Override
    public Integer call() throws Exception {
        QuantSpec spec = checkedMethod(method, bits, true);
        if (batch < 1 || (steps != null && steps < 1) || (gradAccum != null && gradAccum < 1)
                || (checkpointEvery != null && checkpointEvery < 1) || threads < 1) {
            throw new BadInputException("--batch, --steps, --grad-accum, --checkpoint-every and --threads must be "
                    + "positive");
        }
        Path dir = zoo.directory();
        QatRecipe recipe = recipe(zoo.wanRecipe(dir));
        Djl.configure(threads);
        try (LatentDataset clips = LatentDataset.open(zoo.requiredData("qat"))) {
            ZooStudyModel model = zoo.studyModel(clips);
            System.out.printf(Locale.ROOT, "qat %s %s-%s: %d steps x %d samples (%d per forward), %d clips%n",
                    model.name(), method, spec.label(), recipe.steps(), recipe.batch() * recipe.gradAccum(),
                    recipe.batch(), clips.size());
            long t0 = System.nanoTime();
            Path export = new QatArm(model, recipe, System.out).onDevice(device).trainAndExport(method, spec, out);
            System.out.printf(Locale.ROOT, "qat: %.1f s; wrote %s%n", (System.nanoTime() - t0) / 1e9, export);
        }
        return 0;
    }

    private QatRecipe recipe(boolean wan) {
        int total = wan ? 48 : 64;
        int accum = gradAccum != null ? gradAccum : Math.max(1, total / batch);
        QatRecipe r = new QatRecipe(wan ? 2667 : 2000, batch, accum, 1f, 267, 0.05f, 0,
                QatRecipe.toy().phiRank(), QatRecipe.toy().clipGroups(), wan ? 444 : 333, 1.0, 100, loss);
        if (steps != null) {
            // a shorter run keeps the recipe's shape: warm-up 10%, rank decay fitted to the steps
            r = new QatRecipe(steps, batch, accum, 1f, Math.max(1, steps / 10), 0.05f, 0, r.phiRank(), r.clipGroups(),
                    0, 1.0, Math.max(1, Math.min(100, steps / 4)), loss);
        }
        if (checkpointEvery != null) {
            r = new QatRecipe(r.steps(), r.batch(), r.gradAccum(), r.lrScale(), r.warmupSteps(), r.captionDropout(),
                    r.seed(), r.phiRank(), r.clipGroups(), r.decayPeriod(), r.decayFraction(), checkpointEvery,
                    r.loss());
        }
        return r;
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

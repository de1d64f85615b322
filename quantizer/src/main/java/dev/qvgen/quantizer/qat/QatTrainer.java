package dev.qvgen.quantizer.qat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;

import dev.qvgen.models.nn.Module;
import dev.qvgen.models.train.AdamW;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Quantization-aware training by distillation from the full-precision teacher (the official
 * QVGen default): loss {@code mean((student(x_t) - teacher(x_t))^2)}, AdamW (betas 0.9/0.95),
 * linear warm-up then cosine decay, global gradient-norm clip 1.0, and Φ's rank decay applied
 * before every step. Each step is logged (loss, total gradient norm, every layer's rank).
 */
public final class QatTrainer {
    /** The model-specific part: batches, and the two forward passes on them. */
    public interface Task {
        Batch batch(int step, NDManager manager);

        NDArray student(Batch b);

        NDArray teacher(Batch b);
    }

    /** Noisy input, timesteps in [0, 1000], conditioning. */
    public record Batch(NDArray input, NDArray timesteps, NDArray context) {}

    /** @param decay null for plain LSQ (no Φ) */
    public record Settings(int steps, int warmup, QatLayers.LearningRates lr, double maxGradNorm, RankDecay decay) {}

    private final Settings s;
    private final PrintStream log;

    public QatTrainer(Settings settings, PrintStream log) {
        this.s = settings;
        this.log = log;
    }

    /** Linear warm-up to 1, then cosine to 0 (diffusers' cosine_with_restarts with one cycle). */
    public static float lrFactor(int step, int warmup, int steps) {
        if (step < warmup) {
            return (step + 1) / (float) warmup;
        }
        double p = (step - warmup) / (double) Math.max(1, steps - warmup);
        return (float) (0.5 * (1 + Math.cos(Math.PI * p)));
    }

    /**
     * Trains {@code student} (with {@code layers} installed) for the configured steps, appending
     * one CSV row per step to {@code logCsv}; {@code onStep} sees every finished step (progress).
     */
    public void train(Module student, QatLayers layers, Task task, NDManager manager, Path logCsv, IntConsumer onStep)
            throws IOException {
        List<AdamW.Group> groups = layers.groups(student, s.lr());
        layers.setRequiresGradient(groups, true);
        AdamW opt = new AdamW(groups, 0.9f, 0.95f, 1e-8f);
        List<String> names = List.copyOf(layers.kernels().keySet());
        if (!Files.exists(logCsv)) {
            Files.writeString(logCsv, "step,loss,grad_norm,lr_factor," + String.join(",",
                    names.stream().map(n -> "rank:" + n).toList()) + "\n");
        }
        try {
            for (int step = 0; step < s.steps(); step++) {
                Map<String, Integer> ranks = s.decay() == null ? zeroRanks(names) : layers.decayTo(s.decay(), step);
                float f = lrFactor(step, s.warmup(), s.steps());
                double loss;
                double norm;
                try (NDScope scope = new NDScope()) {
                    Batch b = task.batch(step, manager);
                    NDArray target = task.teacher(b).stopGradient();
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray l = task.student(b).sub(target).square().mean();
                        gc.zeroGradients();
                        gc.backward(l);
                        loss = l.getFloat();
                    }
                    norm = opt.step(f, s.maxGradNorm());
                }
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%d,%.6g,%.6g,%.4g", step + 1, loss,
                        norm, f));
                names.forEach(n -> row.append(',').append(ranks.get(n)));
                Files.writeString(logCsv, row.append('\n').toString(), StandardOpenOption.APPEND);
                onStep.accept(step + 1);
            }
            // The deployed model has no Φ: whatever is left after the schedule is removed here.
            if (s.decay() != null) {
                layers.kernels().values().forEach(QatLinearKernel::removePhi);
            }
        } finally {
            layers.setRequiresGradient(groups, false);
        }
    }

    private static Map<String, Integer> zeroRanks(List<String> names) {
        Map<String, Integer> m = new java.util.LinkedHashMap<>();
        names.forEach(n -> m.put(n, 0));
        return m;
    }
}

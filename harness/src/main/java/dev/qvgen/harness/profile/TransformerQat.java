package dev.qvgen.harness.profile;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.harness.study.DistillationTask;
import dev.qvgen.models.family.DenoisingTransformer;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.models.zoo.TransformerWorkload;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.Methods;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.qat.ClippedDynamicActQuantizer;
import dev.qvgen.quantizer.qat.QatLayers;
import dev.qvgen.quantizer.qat.QatTrainer;
import dev.qvgen.quantizer.qat.RankDecay;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

/**
 * A short QVGen QAT run of a zoo transformer on random inputs, for step time and memory: the
 * student (QVGen kernels with Φ on every linear layer inside the blocks) distils an unquantized
 * copy of itself, with the official learning rates and a rank-decay schedule that removes Φ by
 * 90% of the steps, as the toy recipe does. Batches are a function of the step (random latents,
 * timesteps and text states), so a run is repeatable. Parameters, quantizer state and AdamW
 * moments are float32; with {@code mixed} the products and attention run in bfloat16 and the
 * teacher is a bfloat16 copy (the official recipe's precision), and with {@code checkpointing}
 * each block is recomputed in the backward pass instead of keeping its activations.
 */
public final class TransformerQat {
    private final PrintStream log;

    public TransformerQat(PrintStream log) {
        this.log = log;
    }

    /**
     * How the run trains: optimizer steps, micro-batches per step, bfloat16 products with a bfloat16
     * teacher, per-block activation checkpointing, AdamW's moments on the CPU, and Φ's rank-decay
     * period (0: fitted so that Φ is gone by 90% of the steps; a recipe's period, e.g. 444, times
     * ordinary steps, since a halving re-factors every Φ and comes once in hundreds of steps).
     */
    public record Settings(int steps, int gradAccum, boolean mixed, boolean checkpointing, boolean optimizerOnCpu,
            int decayPeriod) {
        public Settings(int steps, int gradAccum, boolean mixed, boolean checkpointing) {
            this(steps, gradAccum, mixed, checkpointing, false, 0);
        }
    }

    /**
     * Writes {@code qat.csv} (step, loss, grad_norm, seconds per step and per sample, memory_bytes)
     * and QatTrainer's log.csv in {@code out}. {@code teacher} is already in its compute type.
     */
    public void run(Module teacher, Module student, TransformerWorkload w, QuantSpec spec, Settings run, Device device,
            NDManager manager, Path out) throws IOException {
        int steps = run.steps();
        Methods.Qat qat = Methods.get("qvgen").qat();
        long t0 = System.nanoTime();
        QatLayers layers = QatLayers.install(student, spec, LayerSelection.insideBlocks(DenoisingTransformer.of(student).blockPrefixes()),
                qat.options(ClippedDynamicActQuantizer.DEFAULT_GROUPS), manager);
        log.printf(Locale.ROOT, "[qat] installed %d QVGen layers in %.1f s%n", layers.kernels().size(),
                (System.nanoTime() - t0) / 1e9);
        int r0 = layers.initialPhiRank();
        RankDecay decay = r0 <= 0 ? null
                : run.decayPeriod() > 0 ? new RankDecay(run.decayPeriod(), true) : RankDecay.fitting(steps, r0, 0.9, true);
        QatTrainer.Settings s = new QatTrainer.Settings(steps, Math.max(1, steps / 10), 1,
                QatLayers.LearningRates.official(), 1.0, decay, qat.loss(), steps + 1, run.gradAccum());
        log.printf(Locale.ROOT, "[qat] %d steps x %d samples, %s, activation checkpointing %s%n", steps,
                run.gradAccum() * w.batch(), run.mixed() ? "bf16 products and teacher, float32 master weights" : "float32",
                run.checkpointing() && DenoisingTransformer.of(student).cutsAtBlocks() ? "per block" : "off");
        if (run.optimizerOnCpu()) {
            log.println("[qat] AdamW moments on the CPU");
        }
        Files.createDirectories(out);
        Path csv = out.resolve("qat.csv");
        StringBuilder rows = new StringBuilder("step,loss,grad_norm,seconds,seconds_per_sample,memory_bytes\n");
        int samples = run.gradAccum() * w.batch();
        long[] last = {System.nanoTime()};
        QatTrainer.Task task = new RandomTask(teacher, student, w, run.mixed(), run.checkpointing());
        Path work = out.resolve("qat-work");
        dev.qvgen.layers.io.FileTrees.delete(work);
        new QatTrainer(s).withOptimizerStateOn(run.optimizerOnCpu() ? Device.cpu() : null)
                .train(student, layers, task, manager, work, (step, loss, norm) -> {
            long now = System.nanoTime();
            double sec = (now - last[0]) / 1e9;
            last[0] = now;
            long mem = Devices.memoryInUse(device);
            rows.append(String.format(Locale.ROOT, "%d,%.6g,%.6g,%.4f,%.4f,%d%n", step, loss, norm, sec,
                    sec / samples, mem));
            if (step == 1 || step % 10 == 0 || step == steps || sec > 5) {
                log.printf(Locale.ROOT, "[qat] step %d loss %.4g grad %.3g %.3f s (%.3f s per sample) memory %.2f GiB%n",
                        step, loss, norm, sec, sec / samples, mem / (double) (1L << 30));
            }
        });
        Files.writeString(csv, rows.toString());
    }

    /** Random latents, timesteps in [0, 1000) and text states, seeded by the step. */
    private static final class RandomTask extends DistillationTask {
        private final TransformerWorkload w;

        RandomTask(Module teacher, Module student, TransformerWorkload w, boolean mixed, boolean checkpointing) {
            super(DenoisingTransformer.of(student), DenoisingTransformer.of(teacher), mixed, checkpointing);
            this.w = w;
        }

        @Override
        public QatTrainer.Batch batch(int step, NDManager manager) {
            NDList in = w.randomInputs(manager, DataType.FLOAT32, 1000L + step);
            float[] t = new float[w.batch()];
            Random r = new Random(step);
            for (int i = 0; i < t.length; i++) {
                t[i] = r.nextInt(1000);
            }
            NDArray timesteps = manager.create(t, new Shape(t.length));
            return new QatTrainer.Batch(in.get(0), timesteps, in.get(2), null);
        }
    }
}

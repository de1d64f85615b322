package dev.qvgen.harness.profile;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

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
 * timesteps and text states), so a run is repeatable. Computes in float32 (AdamW moments and
 * quantizer parameters are float32).
 */
public final class TransformerQat {
    private final PrintStream log;

    public TransformerQat(PrintStream log) {
        this.log = log;
    }

    /** Writes {@code qat.csv} (step, loss, grad_norm, seconds, memory_bytes) and QatTrainer's log.csv in {@code out}. */
    public void run(Module teacher, Module student, TransformerWorkload w, QuantSpec spec, int steps, Device device,
            NDManager manager, Path out) throws IOException {
        Methods.Qat qat = Methods.get("qvgen").qat();
        long t0 = System.nanoTime();
        QatLayers layers = QatLayers.install(student, spec, LayerSelection.insideBlocks(DenoisingTransformer.of(student).blockPrefixes()),
                qat.options(ClippedDynamicActQuantizer.DEFAULT_GROUPS), manager);
        log.printf(Locale.ROOT, "[qat] installed %d QVGen layers in %.1f s%n", layers.kernels().size(),
                (System.nanoTime() - t0) / 1e9);
        int r0 = layers.initialPhiRank();
        RankDecay decay = r0 > 0 ? RankDecay.fitting(steps, r0, 0.9, true) : null;
        QatTrainer.Settings s = new QatTrainer.Settings(steps, Math.max(1, steps / 10), 1,
                QatLayers.LearningRates.official(), 1.0, decay, qat.loss(), steps + 1);
        Files.createDirectories(out);
        Path csv = out.resolve("qat.csv");
        StringBuilder rows = new StringBuilder("step,loss,grad_norm,seconds,memory_bytes\n");
        long[] last = {System.nanoTime()};
        QatTrainer.Task task = new RandomTask(teacher, student, w);
        Path work = out.resolve("qat-work");
        dev.qvgen.layers.io.FileTrees.delete(work);
        new QatTrainer(s).train(student, layers, task, manager, work, (step, loss, norm) -> {
            long now = System.nanoTime();
            double sec = (now - last[0]) / 1e9;
            last[0] = now;
            long mem = Devices.memoryInUse(device);
            rows.append(String.format(Locale.ROOT, "%d,%.6g,%.6g,%.4f,%d%n", step, loss, norm, sec, mem));
            if (step == 1 || step % 10 == 0 || step == steps) {
                log.printf(Locale.ROOT, "[qat] step %d loss %.4g grad %.3g %.3f s memory %.2f GiB%n", step, loss, norm,
                        sec, mem / (double) (1L << 30));
            }
        });
        Files.writeString(csv, rows.toString());
    }

    /** Random latents, timesteps in [0, 1000) and text states, seeded by the step. */
    private record RandomTask(Module teacher, Module student, TransformerWorkload w) implements QatTrainer.Task {
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

        @Override
        public NDArray student(QatTrainer.Batch b) {
            return TransformerWorkload.forward(student, new NDList(b.input(), b.timesteps(), b.context()));
        }

        @Override
        public NDArray teacher(QatTrainer.Batch b) {
            return TransformerWorkload.forward(teacher, new NDList(b.input(), b.timesteps(), b.context()));
        }
    }
}

package dev.qvgen.quantizer.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.TinyNet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

class QatTrainerTest {
    private static final int STEPS = 14;

    /** Distillation from the FP TinyNet on random tokens; batches depend only on the step. */
    static final class Task implements QatTrainer.Task {
        final TinyNet teacher;
        final TinyNet student;

        Task(TinyNet teacher, TinyNet student) {
            this.teacher = teacher;
            this.student = student;
        }

        @Override
        public QatTrainer.Batch batch(int step, NDManager m) {
            SplittableRandom r = new SplittableRandom(1000 + step);
            float[] x = new float[4 * 3 * 8];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            float[] t = new float[4];
            for (int i = 0; i < t.length; i++) {
                t[i] = r.nextInt(1000);
            }
            NDArray xa = m.create(x, new Shape(4, 3, 8));
            return new QatTrainer.Batch(xa, m.create(t), null, xa.get(":, :, :4"));
        }

        @Override
        public NDArray student(QatTrainer.Batch b) {
            return student.forward(b.input(), b.timesteps());
        }

        @Override
        public NDArray teacher(QatTrainer.Batch b) {
            return teacher.forward(b.input(), b.timesteps());
        }
    }

    static QatTrainer.Settings settings(RankDecay decay, QatTrainer.Loss loss, int ckptEvery) {
        return new QatTrainer.Settings(STEPS, 2, 1, QatLayers.LearningRates.official().scaled(30f), 1.0, decay, loss,
                ckptEvery);
    }

    /** Runs a fresh QVGen (Φ rank 4, period 3) or LSQ QAT of TinyNet in {@code dir}; returns the log. */
    static List<String> run(Path dir, int phiRank, QatTrainer.Settings s, QatTrainer.StepListener listener)
            throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            TinyNet teacher = new TinyNet(m, 1);
            TinyNet student = new TinyNet(m, 1);
            QatLayers layers = QatLayers.install(student, QuantSpec.W3A3, LayerSelection.insideBlocks(java.util.List.of("blocks.")), phiRank, 4, m);
            new QatTrainer(s).train(student, layers, new Task(teacher, student), m, dir, listener);
            layers.kernels().values().forEach(k -> assertNull(k.phi(), "Φ is gone after training"));
        }
        return Files.readAllLines(dir.resolve(QatTrainer.LOG));
    }

    static String withoutTimes(String row) {
        String[] c = row.split(",");
        c[4] = "";
        return String.join(",", c);
    }

    @Test
    void rankLogReachesZeroAtTheConfiguredStepAndTrainingIsDeterministic(@TempDir Path tmp) throws IOException {
        RankDecay decay = new RankDecay(3, true);
        List<String> a = run(tmp.resolve("a"), 4, settings(decay, QatTrainer.Loss.DISTILLATION, 100), (s, l, g) -> { });
        List<String> b = run(tmp.resolve("b"), 4, settings(decay, QatTrainer.Loss.DISTILLATION, 100), (s, l, g) -> { });
        assertEquals("step,loss,grad_norm,lr_factor,seconds,rank:blocks.0.fc1,rank:blocks.0.fc2,"
                + "grad_norm:weights,grad_norm:quantizer,grad_norm:clipping,grad_norm:phi,peak_memory_bytes", a.get(0));
        for (String row : a.subList(1, a.size())) {
            String[] c = row.split(",");
            double groups = 0;
            for (int i = 7; i < 11; i++) {
                groups += Double.parseDouble(c[i]) * Double.parseDouble(c[i]);
            }
            assertEquals(Double.parseDouble(c[2]), Math.sqrt(groups), 1e-4 * Double.parseDouble(c[2]),
                    "the groups' norms make up the total");
        }
        assertEquals(STEPS + 1, a.size());
        for (int i = 1; i < a.size(); i++) {
            assertEquals(withoutTimes(a.get(i)), withoutTimes(b.get(i)), "same seed, same log (row " + i + ")");
        }
        // fc1 (16x8) and fc2 (8x16): Φ rank 4 -> 4, 2, 1, removed at step 3 * 3 = 9 (0-based), row 10.
        int removal = decay.stepsToRemoval(4);
        assertEquals(9, removal);
        for (int step = 0; step < STEPS; step++) {
            String[] c = a.get(step + 1).split(",");
            int expected = step < 3 ? 4 : step < 6 ? 2 : step < 9 ? 1 : 0;
            assertEquals(expected, Integer.parseInt(c[5]), "rank of fc1 at step " + step);
            assertEquals(expected, Integer.parseInt(c[6]), "rank of fc2 at step " + step);
        }
    }

    @Test
    void distillationLowersTheLossAndPhiStartsCloserToTheTeacher(@TempDir Path tmp) throws IOException {
        List<String> qvgen = run(tmp.resolve("q"), 4, settings(new RankDecay(100, true), QatTrainer.Loss.DISTILLATION,
                100), (s, l, g) -> { });
        List<String> lsq = run(tmp.resolve("l"), 0, settings(null, QatTrainer.Loss.DISTILLATION, 100),
                (s, l, g) -> { });
        double firstLsq = Double.parseDouble(lsq.get(1).split(",")[1]);
        double lastLsq = Double.parseDouble(lsq.get(STEPS).split(",")[1]);
        assertTrue(lastLsq < firstLsq, "LSQ loss " + firstLsq + " -> " + lastLsq);
        double firstQv = Double.parseDouble(qvgen.get(1).split(",")[1]);
        assertTrue(firstQv < firstLsq, "Φ starts closer to the teacher: " + firstQv + " vs " + firstLsq);
    }

    @Test
    void aStopRequestCheckpointsTheStepAndTheRerunResumesBitIdentically(@TempDir Path tmp) throws IOException {
        RankDecay decay = new RankDecay(3, true);
        List<String> whole = run(tmp.resolve("whole"), 4, settings(decay, QatTrainer.Loss.DISTILLATION, 100),
                (s, l, g) -> { });
        Path dir = tmp.resolve("stopped");
        QatTrainer.Stopped stopped;
        try (NDManager m = NDManager.newBaseManager()) {
            TinyNet teacher = new TinyNet(m, 1);
            TinyNet student = new TinyNet(m, 1);
            QatLayers layers = QatLayers.install(student, QuantSpec.W3A3,
                    LayerSelection.insideBlocks(java.util.List.of("blocks.")), 4, 4, m);
            // what SIGTERM's shutdown hook does, asked at step 5 (checkpoints are every 100 steps)
            QatTrainer t = new QatTrainer(settings(decay, QatTrainer.Loss.DISTILLATION, 100))
                    .withMemoryProbe(() -> 1234L);
            stopped = assertThrows(QatTrainer.Stopped.class, () -> t.train(student, layers, new Task(teacher, student),
                    m, dir, (s, l, g) -> {
                        if (s == 5) {
                            t.requestStop();
                        }
                    }));
        }
        assertEquals(5, stopped.step());
        assertTrue(Files.exists(dir.resolve(QatTrainer.STATE)), "checkpoint written on the stop");
        List<String> cut = Files.readAllLines(dir.resolve(QatTrainer.LOG));
        assertEquals(6, cut.size(), "header and 5 steps");
        assertTrue(cut.get(5).endsWith(",1234"), "the memory probe's reading is logged: " + cut.get(5));
        List<String> resumed = run(dir, 4, settings(decay, QatTrainer.Loss.DISTILLATION, 100), (s, l, g) -> { });
        assertEquals(whole.size(), resumed.size());
        for (int i = 6; i < whole.size(); i++) {
            assertEquals(withoutTimes(whole.get(i)), withoutTimes(resumed.get(i)), "row " + i + " after the resume");
        }
    }

    @Test
    void anInterruptedRunResumesBitIdentically(@TempDir Path tmp) throws IOException {
        RankDecay decay = new RankDecay(3, true);
        List<String> whole = run(tmp.resolve("whole"), 4, settings(decay, QatTrainer.Loss.DISTILLATION, 4),
                (s, l, g) -> { });
        Path dir = tmp.resolve("cut");
        // Dies after step 7: the checkpoint holds step 4, the log 7 rows that the resume cuts back.
        assertThrows(IllegalStateException.class, () -> run(dir, 4, settings(decay, QatTrainer.Loss.DISTILLATION, 4),
                (s, l, g) -> {
                    if (s == 7) {
                        throw new IllegalStateException("killed");
                    }
                }));
        assertTrue(Files.exists(dir.resolve(QatTrainer.STATE)));
        List<String> resumed = run(dir, 4, settings(decay, QatTrainer.Loss.DISTILLATION, 4), (s, l, g) -> { });
        assertEquals(whole.size(), resumed.size());
        for (int i = 0; i < whole.size(); i++) {
            assertEquals(withoutTimes(whole.get(i)), withoutTimes(resumed.get(i)), "row " + i);
        }
    }

    @Test
    void diffusionLossTrainsAgainstTheBatchTarget(@TempDir Path tmp) throws IOException {
        List<String> log = run(tmp.resolve("d"), 0, settings(null, QatTrainer.Loss.DIFFUSION, 100), (s, l, g) -> { });
        double first = Double.parseDouble(log.get(1).split(",")[1]);
        double last = Double.parseDouble(log.get(STEPS).split(",")[1]);
        assertTrue(last < first, first + " -> " + last);
    }

    @Test
    void learningRateWarmsUpThenFollowsCosineRestarts() {
        assertEquals(0.5f, QatTrainer.lrFactor(0, 2, 12, 1));
        assertEquals(1f, QatTrainer.lrFactor(2, 2, 12, 1));
        assertEquals(0.5f, QatTrainer.lrFactor(7, 2, 12, 1), 1e-6f);
        assertEquals(1f, QatTrainer.lrFactor(7, 2, 12, 2), 1e-6f, "second cycle restarts at 1");
        assertEquals(0f, QatTrainer.lrFactor(12, 2, 12, 1));
    }
}

package dev.qvgen.models.sched;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.nn.Tensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

class UniPCMultistepSchedulerParityTest {
    static final Path FIXTURE = Path.of("../shared/fixtures/golden/wan2.1");

    @Test
    void matchesReferenceScheduleAndEveryStep() {
        String p = "sched.unipc.";
        try (NDManager m = NDManager.newBaseManager();
                SafeTensorsFile g = SafeTensorsFile.open(FIXTURE.resolve("golden.safetensors"))) {
            UniPCMultistepScheduler s = UniPCMultistepScheduler.fromConfig(
                    FIXTURE.resolve("pipeline/scheduler/scheduler_config.json"));
            int steps = (int) g.info(p + "timesteps").numel();
            s.setTimesteps(steps);
            assertArrayEquals(g.load(p + "sigmas", m).toFloatArray(), s.sigmas(), 1e-7f);
            assertArrayEquals(g.load(p + "timesteps", m).toFloatArray(), s.timestepsAsFloat(), 0f);
            NDArray x = g.load(p + "x0", m);
            double worst = 0;
            for (int i = 0; i < steps; i++) {
                x = s.step(g.load(p + "model_output." + i, m), x);
                double e = Tensors.relativeL2(x, g.load(p + "prev_sample." + i, m));
                worst = Math.max(worst, e);
                assertTrue(e < 1e-5, "step " + i + " rel_l2 " + e);
            }
            System.out.printf("unipc worst step rel_l2=%.3e over %d steps%n", worst, steps);
            assertThrows(IllegalStateException.class, () -> s.step(g.load(p + "model_output.0", m),
                    g.load(p + "x0", m)));
        }
    }

    @Test
    void setTimestepsResetsTheSolverState() {
        try (NDManager m = NDManager.newBaseManager();
                SafeTensorsFile g = SafeTensorsFile.open(FIXTURE.resolve("golden.safetensors"))) {
            UniPCMultistepScheduler s = new UniPCMultistepScheduler(UniPCMultistepScheduler.Config.wanDefault(3.0));
            String p = "sched.unipc.";
            s.setTimesteps(6);
            NDArray first = s.step(g.load(p + "model_output.0", m), g.load(p + "x0", m));
            s.step(g.load(p + "model_output.1", m), first);
            s.setTimesteps(6);
            assertEquals(0, s.stepIndex());
            NDArray again = s.step(g.load(p + "model_output.0", m), g.load(p + "x0", m));
            assertEquals(0.0, Tensors.relativeL2(again, first), 0.0);
        }
    }

    @Test
    void lowOrderSolverOfOrderOneIsFlowEulerOnTheSameSigmas() {
        // Order 1 with the corrector disabled is the exponential integrator of a flow model, which
        // for x0 = x - sigma v reduces exactly to the Euler step x + (sigma_next - sigma) v.
        UniPCMultistepScheduler.Config c = new UniPCMultistepScheduler.Config(1000, 1e-4, 0.02, "linear", 1,
                "flow_prediction", true, "bh2", true, new int[] {0, 1, 2, 3, 4}, true, 3.0, "linspace", 0, "zero");
        try (NDManager m = NDManager.newBaseManager()) {
            UniPCMultistepScheduler s = new UniPCMultistepScheduler(c);
            s.setTimesteps(5);
            float[] sig = s.sigmas();
            NDArray x = m.randomNormal(new ai.djl.ndarray.types.Shape(2, 3, 4));
            for (int i = 0; i < 5; i++) {
                NDArray v = m.randomNormal(x.getShape());
                NDArray expected = x.add(v.mul(sig[i + 1] - sig[i]));
                x = s.step(v, x);
                assertTrue(Tensors.relativeL2(x, expected) < 1e-5, "step " + i);
            }
        }
    }

    @Test
    void vpScheduleOfOrderOneIsDdim() {
        // Without flow sigmas the schedule is the VP one of the betas, and first-order UniP with
        // data prediction is DDIM: x' = alpha' x0 + sigma' eps.
        UniPCMultistepScheduler.Config c = new UniPCMultistepScheduler.Config(1000, 1e-4, 0.02, "linear", 1,
                "epsilon", true, "bh2", true, new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, false, 1.0, "linspace", 0,
                "zero");
        UniPCMultistepScheduler s = new UniPCMultistepScheduler(c);
        s.setTimesteps(10);
        // np.linspace(0, 999, 11).round(): 499.50000000000006 rounds up.
        assertArrayEquals(new long[] {999, 899, 799, 699, 599, 500, 400, 300, 200, 100}, s.timesteps());
        float[] sig = s.sigmas();
        assertEquals(0f, sig[10], 0f);
        // sigma = sqrt((1 - a) / a) with a = prod(1 - beta) of the linear schedule
        double a = 1;
        for (int i = 0; i <= 999; i++) {
            a *= 1 - (1e-4 + (0.02 - 1e-4) * i / 999.0);
        }
        assertEquals(Math.sqrt((1 - a) / a), sig[0], 1e-3 * sig[0]);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new ai.djl.ndarray.types.Shape(3, 5));
            for (int i = 0; i < 10; i++) {
                NDArray eps = m.randomNormal(x.getShape());
                double al = 1 / Math.sqrt(sig[i] * (double) sig[i] + 1);
                double sg = sig[i] * al;
                double alN = 1 / Math.sqrt(sig[i + 1] * (double) sig[i + 1] + 1);
                double sgN = sig[i + 1] * alN;
                NDArray x0 = x.sub(eps.mul((float) sg)).div((float) al);
                NDArray expected = x0.mul((float) alN).add(eps.mul((float) sgN));
                x = s.step(eps, x);
                assertTrue(Tensors.relativeL2(x, expected) < 1e-5, "step " + i);
            }
        }
    }

    @Test
    void rejectsUnsupportedAndUnknownConfigKeys(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("scheduler_config.json");
        Files.writeString(f, "{\"use_karras_sigmas\": true}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> UniPCMultistepScheduler.fromConfig(f));
        assertTrue(e.getMessage().contains("use_karras_sigmas"), e.getMessage());
        Files.writeString(f, "{\"prediction_type\": \"flow_prediction\", \"use_flow_sigmas\": true, \"warp\": 1}");
        e = assertThrows(CheckpointException.class, () -> UniPCMultistepScheduler.fromConfig(f));
        assertTrue(e.getMessage().contains("unknown config key 'warp'"), e.getMessage());
    }

    @Test
    void solvesSmallSystems() {
        double[] x = UniPCMultistepScheduler.solve(new double[][] {{0, 2, 1}, {1, 1, 1}, {2, 1, 3}},
                new double[] {7, 6, 13});
        assertArrayEquals(new double[] {1, 2, 3}, x, 1e-12);
    }
}

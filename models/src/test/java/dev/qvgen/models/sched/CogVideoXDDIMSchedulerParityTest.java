package dev.qvgen.models.sched;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.nn.Tensors;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

class CogVideoXDDIMSchedulerParityTest {
    static final Path GOLDEN = Path.of("../shared/fixtures/golden");

    @ParameterizedTest
    @ValueSource(strings = {"cogvideox-2b", "cogvideox-5b", "cogvideox1.5-5b"})
    void matchesReferenceTimestepsAndEveryStep(String family) {
        Path dir = GOLDEN.resolve(family);
        String p = "sched.ddim.";
        try (NDManager m = NDManager.newBaseManager();
                SafeTensorsFile g = SafeTensorsFile.open(dir.resolve("golden.safetensors"))) {
            CogVideoXDDIMScheduler s = CogVideoXDDIMScheduler.fromConfig(
                    dir.resolve("pipeline/scheduler/scheduler_config.json"));
            int steps = (int) g.info(p + "timesteps").numel();
            s.setTimesteps(steps);
            assertArrayEquals(g.load(p + "timesteps", m).toFloatArray(), s.timestepsAsFloat(), 0f);
            NDArray x = g.load(p + "x0", m);
            long[] t = s.timesteps();
            double worst = 0;
            for (int i = 0; i < steps; i++) {
                x = s.step(g.load(p + "model_output." + i, m), t[i], x);
                double e = Tensors.relativeL2(x, g.load(p + "prev_sample." + i, m));
                worst = Math.max(worst, e);
                assertTrue(e < 1e-5, family + " step " + i + " rel_l2 " + e);
            }
            System.out.printf("%s ddim worst step rel_l2=%.3e over %d steps%n", family, worst, steps);
        }
    }

    @Test
    void scheduleHasZeroTerminalSnrAndTheSnrShift() {
        CogVideoXSchedulerConfig c = CogVideoXSchedulerConfig.cogVideoX2b();
        double[] ac = c.alphasCumprod();
        assertEquals(0.0, ac[999], 0.0);
        // Rescaling keeps the first value of the SNR-shifted schedule: a / (3 - 2a) with a = 1 - beta_0.
        double a0 = 1 - 0.00085;
        assertEquals(a0 / (3 - 2 * a0), ac[0], 1e-12);
        for (int i = 1; i < ac.length; i++) {
            assertTrue(ac[i] < ac[i - 1], "decreasing at " + i);
        }
    }

    @Test
    void trailingSpacingAndPreviousTimestepFollowTheReference() {
        CogVideoXSchedulerConfig c = CogVideoXSchedulerConfig.cogVideoX2b();
        assertArrayEquals(new long[] {999, 666, 332}, c.timesteps(3));
        assertArrayEquals(new long[] {999, 799, 599, 399, 199}, c.timesteps(5));
        assertEquals(50, c.timesteps(50).length);
        assertEquals(19, c.timesteps(50)[49]);
        CogVideoXSchedulerConfig lin = new CogVideoXSchedulerConfig(1000, 0.00085, 0.012, "scaled_linear", true, 0,
                "v_prediction", "linspace", true, 3.0);
        // numpy's linspace(0, 999, 3) = 0, 499.5, 999; 499.5 rounds half to even.
        assertArrayEquals(new long[] {999, 500, 0}, lin.timesteps(3));
        CogVideoXSchedulerConfig lead = new CogVideoXSchedulerConfig(1000, 0.00085, 0.012, "scaled_linear", true, 1,
                "v_prediction", "leading", true, 3.0);
        assertArrayEquals(new long[] {667, 334, 1}, lead.timesteps(3));
    }

    @Test
    void lastStepReturnsTheCleanPrediction() {
        // Past timestep 0 alpha is 1, so DDIM lands exactly on its x0 prediction.
        try (NDManager m = NDManager.newBaseManager()) {
            CogVideoXDDIMScheduler s = new CogVideoXDDIMScheduler(CogVideoXSchedulerConfig.cogVideoX2b());
            s.setTimesteps(5);
            NDArray x = m.randomNormal(new ai.djl.ndarray.types.Shape(1, 2, 3));
            NDArray v = m.randomNormal(x.getShape());
            double a = s.alphaCumprod(199);
            NDArray x0 = x.mul((float) Math.sqrt(a)).sub(v.mul((float) Math.sqrt(1 - a)));
            assertTrue(Tensors.relativeL2(s.step(v, 199, x), x0) < 1e-6);
        }
    }
}

package dev.qvgen.models.sched;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.Tensors;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The goldens hold no DPM run (the reference step is stochastic), so this checks the properties
 * the DPM-Solver++ (2M SDE) update must have on the CogVideoX schedule.
 */
class CogVideoXDPMSchedulerTest {
    static final Path CONFIG = Path.of("../shared/fixtures/golden/cogvideox-2b/pipeline/scheduler/scheduler_config.json");

    /** A v-prediction model that knows the clean sample {@code d}: x0 = sqrt(a) x - sqrt(1-a) v. */
    private static NDArray oracleV(NDArray x, NDArray d, double a) {
        return x.mul((float) Math.sqrt(a)).sub(d).div((float) Math.sqrt(1 - a));
    }

    @Test
    void readsTheSharedCogVideoXConfigAndSchedule() {
        CogVideoXDPMScheduler s = CogVideoXDPMScheduler.fromConfig(CONFIG);
        s.setTimesteps(5);
        assertArrayEquals(new long[] {999, 799, 599, 399, 199}, s.timesteps());
        assertEquals(0.0, s.alphaCumprod(999), 0.0);
        assertEquals("v_prediction", s.config().predictionType());
    }

    @Test
    void firstStepFromZeroSnrRenoisesTheCleanPrediction() {
        // At alpha 0 the log-SNR is -inf, so the update is sqrt(a') x0 + sqrt(1 - a') z exactly.
        try (NDManager m = NDManager.newBaseManager()) {
            CogVideoXDPMScheduler s = CogVideoXDPMScheduler.fromConfig(CONFIG);
            s.setTimesteps(5);
            NDArray x = m.randomNormal(new Shape(1, 3, 2, 4));
            NDArray v = m.randomNormal(x.getShape());
            NDArray z = m.randomNormal(x.getShape());
            CogVideoXDPMScheduler.Step out = s.step(v, null, 999, null, x, like -> z);
            double ap = s.alphaCumprod(799);
            NDArray x0 = v.neg();
            assertTrue(Tensors.relativeL2(out.predOriginalSample(), x0) < 1e-7);
            NDArray expected = x0.mul((float) Math.sqrt(ap)).add(z.mul((float) Math.sqrt(1 - ap)));
            assertTrue(Tensors.relativeL2(out.prevSample(), expected) < 1e-6);
        }
    }

    @Test
    void oracleModelStaysOnTheMarginalAndLandsOnTheCleanSample() {
        // With a model that predicts the true clean sample d, noise eps drawn on the first step (from
        // alpha 0) and zero noise after, every sample is sqrt(a_t) d + c_t eps for one scalar
        // 0 < c_t <= sqrt(1 - a_t) (equal on the first step), and the last step gives d.
        try (NDManager m = NDManager.newBaseManager()) {
            CogVideoXDPMScheduler s = CogVideoXDPMScheduler.fromConfig(CONFIG);
            s.setTimesteps(5);
            long[] t = s.timesteps();
            NDArray d = m.randomNormal(new Shape(2, 3, 4));
            NDArray eps = m.randomNormal(d.getShape());
            NDArray x = m.randomNormal(d.getShape()); // alpha 0 at t = 999: pure noise
            NDArray old = null;
            AtomicInteger draws = new AtomicInteger();
            for (int i = 0; i < t.length; i++) {
                double a = s.alphaCumprod((int) t[i]);
                NDArray v = a == 0 ? d.neg() : oracleV(x, d, a);
                int before = draws.get();
                boolean firstStep = i == 0;
                CogVideoXDPMScheduler.Step out = s.step(v, old, t[i], i == 0 ? null : t[i - 1], x, like -> {
                    draws.incrementAndGet();
                    return firstStep ? eps : like.zerosLike();
                });
                boolean middle = i > 0 && i < t.length - 1;
                assertEquals(middle ? 2 : 1, draws.get() - before, "noise draws at step " + i);
                assertTrue(Tensors.relativeL2(out.predOriginalSample(), d) < 1e-5, "x0 at step " + i);
                x = out.prevSample();
                old = out.predOriginalSample();
                if (i < t.length - 1) {
                    double ap = s.alphaCumprod((int) t[i + 1]);
                    NDArray rest = x.sub(d.mul((float) Math.sqrt(ap)));
                    float c = rest.mul(eps).sum().getFloat() / eps.mul(eps).sum().getFloat();
                    assertTrue(Tensors.relativeL2(rest, eps.mul(c)) < 1e-4, "noise direction at step " + i);
                    assertTrue(c > 0 && c <= Math.sqrt(1 - ap) + 1e-6, "noise scale " + c + " at step " + i);
                    if (i == 0) {
                        assertEquals(Math.sqrt(1 - ap), c, 1e-5);
                    }
                }
            }
            assertTrue(Tensors.relativeL2(x, d) < 1e-5, "final sample");
        }
    }

    @Test
    void secondOrderCorrectionVanishesForAConstantCleanPrediction() {
        // denoised_d = (1 + 1/2r) x0 - (1/2r) x0_old equals x0 when x0_old = x0, so the multistep
        // branch and the first-order branch agree given the same noise.
        try (NDManager m = NDManager.newBaseManager()) {
            CogVideoXDPMScheduler s = CogVideoXDPMScheduler.fromConfig(CONFIG);
            s.setTimesteps(5);
            NDArray x = m.randomNormal(new Shape(4, 5));
            NDArray v = m.randomNormal(x.getShape());
            NDArray z = m.randomNormal(x.getShape());
            CogVideoXDPMScheduler.Step first = s.step(v, null, 599, 799L, x, like -> z);
            CogVideoXDPMScheduler.Step second = s.step(v, first.predOriginalSample(), 599, 799L, x, like -> z);
            assertTrue(Tensors.relativeL2(second.prevSample(), first.prevSample()) < 1e-6);
            // and differs once the previous prediction does
            CogVideoXDPMScheduler.Step moved = s.step(v, first.predOriginalSample().add(1f), 599, 799L, x,
                    like -> z);
            assertTrue(Tensors.relativeL2(moved.prevSample(), first.prevSample()) > 1e-3);
        }
    }
}

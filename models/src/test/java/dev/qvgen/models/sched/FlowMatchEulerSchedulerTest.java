package dev.qvgen.models.sched;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.nn.Tensors;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

class FlowMatchEulerSchedulerTest {
    @Test
    void matchesReferenceSigmasAndSteps() {
        Path golden = Path.of("../shared/fixtures/golden/wan2.1/golden.safetensors");
        try (NDManager m = NDManager.newBaseManager(); SafeTensorsFile g = SafeTensorsFile.open(golden)) {
            FlowMatchEulerScheduler s = new FlowMatchEulerScheduler(1000, 3.0);
            s.setTimesteps(6);
            assertArrayEquals(g.load("sched.flow_euler.sigmas", m).toFloatArray(), s.sigmas(), 1e-6f);
            assertArrayEquals(g.load("sched.flow_euler.timesteps", m).toFloatArray(), s.timesteps(), 1e-3f);
            NDArray x = g.load("sched.flow_euler.x0", m);
            for (int i = 0; i < 6; i++) {
                x = s.step(g.load("sched.flow_euler.model_output." + i, m), i, x);
                double e = Tensors.relativeL2(x, g.load("sched.flow_euler.prev_sample." + i, m));
                assertTrue(e < 1e-6, "step " + i + " rel_l2 " + e);
            }
        }
    }
}

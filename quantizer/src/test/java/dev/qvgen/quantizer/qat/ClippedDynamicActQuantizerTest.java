package dev.qvgen.quantizer.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import org.junit.jupiter.api.Test;

class ClippedDynamicActQuantizerTest {
    @Test
    void initialClipIsPoint95SquaredOfTheTokenRange() {
        try (NDManager m = NDManager.newBaseManager()) {
            // ratio 0.95 * sigmoid(logit(0.95)) = 0.9025: range [-0.9025, 1.805], 2 bits -> s = 0.9025, z = 1;
            // x / s = [-1.108, 0, 1.108, 2.216] -> round + z = [0, 1, 2, 3] -> (q - z) s
            ClippedDynamicActQuantizer q = ClippedDynamicActQuantizer.initialise(2, 4, m);
            NDArray x = m.create(new float[] {-1f, 0f, 1f, 2f}, new Shape(1, 1, 4));
            float s = 0.9025f;
            assertArrayEquals(new float[] {-s, 0f, s, 2 * s}, q.forward(x, m.create(new float[] {500f})).toFloatArray(),
                    1e-5f);
        }
    }

    @Test
    void eachTimestepGroupHasItsOwnClip() {
        try (NDManager m = NDManager.newBaseManager()) {
            // 4 groups: t in [0, 250) -> 0 ... [750, 1000] -> 3. Group 3 clips hard (ratio ~0.95 * 0.5).
            NDArray lower = m.full(new Shape(4), 10f);
            NDArray upper = m.create(new float[] {10f, 10f, 10f, 0f});
            ClippedDynamicActQuantizer q = new ClippedDynamicActQuantizer(8, lower, upper);
            NDArray x = m.create(new float[] {-1f, 0f, 2f, -1f, 0f, 2f}, new Shape(2, 1, 3));
            float[] y = q.forward(x, m.create(new float[] {100f, 999f})).toFloatArray();
            assertEquals(2f * 0.95f, y[2], 0.01f, "group 0 keeps ~0.95 of the max");
            assertEquals(2f * 0.95f * 0.5f, y[5], 0.01f, "group 3 clips the max to ~0.475 of it");
            assertEquals(0, ClippedDynamicActQuantizer.group(0f, 4));
            assertEquals(3, ClippedDynamicActQuantizer.group(1000f, 4));
        }
    }

    @Test
    void clipLogitsReceiveGradientsOnlyForTheirGroup() {
        try (NDManager m = NDManager.newBaseManager()) {
            ClippedDynamicActQuantizer q = ClippedDynamicActQuantizer.initialise(3, 5, m);
            q.lowerLogits().setRequiresGradient(true);
            q.upperLogits().setRequiresGradient(true);
            NDArray x = m.create(new float[] {-3f, 0.1f, 0.4f, 5f, 1f, 2f}, new Shape(1, 2, 3));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(q.forward(x, m.create(new float[] {450f})).square().sum());
            }
            float[] g = q.upperLogits().getGradient().toFloatArray();
            for (int i = 0; i < 5; i++) {
                if (i == 2) {
                    assertNotEquals(0f, g[i], "group 2 (t = 450) must get a gradient");
                } else {
                    assertEquals(0f, g[i], "group " + i);
                }
            }
        }
    }
}

package dev.qvgen.models.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

/** The hand-written tensor helpers against values worked out from torch's definitions. */
class VaeOpsTest {
    @Test
    void nearestResizeUsesFloorOfScaledIndex() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {10, 20, 30}, new Shape(1, 3));
            // torch nearest 3 → 5: source floor(i · 0.6) = 0, 0, 1, 1, 2.
            assertArrayEquals(new float[] {10, 10, 20, 20, 30}, VaeOps.nearestResize(x, 1, 5).toFloatArray());
            // Integer factor: every entry repeated in place (not the whole row tiled).
            assertArrayEquals(new float[] {10, 10, 20, 20, 30, 30}, VaeOps.nearestResize(x, 1, 6).toFloatArray());
            NDArray y = m.create(new float[] {1, 2, 3, 4}, new Shape(1, 4));
            assertArrayEquals(new float[] {1, 3}, VaeOps.nearestResize(y, 1, 2).toFloatArray());
        }
    }

    @Test
    void padZerosPadsOnTheRequestedSides() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1, 2}, new Shape(1, 2));
            assertArrayEquals(new float[] {0, 0, 1, 2, 0}, VaeOps.padZeros(x, 1, 2, 1).toFloatArray());
        }
    }

    @Test
    void groupNormNormalizesEachGroupWithBiasedVariance() {
        try (NDManager m = NDManager.newBaseManager()) {
            // A constant group normalizes to 0 (the epsilon avoids 0 / 0).
            // 2 groups of 2 channels × 2 positions: group 0 = {0, 2, 4, 6}, group 1 = {1, 1, 1, 1}.
            NDArray x = m.create(new float[] {0, 2, 4, 6, 1, 1, 1, 1}, new Shape(1, 4, 2));
            NDArray w = m.create(new float[] {1, 2, 1, 1});
            NDArray b = m.create(new float[] {0, 0, 0, 5});
            float[] y = VaeOps.groupNorm(x, 2, w, b, 1e-6f).toFloatArray();
            double sd = Math.sqrt(5); // mean 3, biased variance 5
            assertEquals(-3 / sd, y[0], 1e-6);
            assertEquals(2 * 1 / sd, y[2], 1e-6);
            assertEquals(2 * 3 / sd, y[3], 1e-6);
            assertEquals(0, y[4], 1e-6);
            assertEquals(5, y[7], 1e-6);
        }
    }
}

package dev.qvgen.metrics.raft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.qvgen.metrics.ops.ReplicatePadder;
import org.junit.jupiter.api.Test;

/** The hand-written array pieces of RAFT on inputs small enough to check by hand. */
class RaftOpsTest {

    @Test
    void bilinearSamplingMatchesGridSampleWithAlignCornersAndZeroPadding() {
        try (NDManager m = NDManager.newBaseManager()) {
            // one 2x3 image: rows [0 1 2], [3 4 5]
            NDArray img = m.arange(0f, 6f).reshape(1, 1, 2, 3);
            NDArray x = m.create(new float[] {0f, 1.5f, 2f, 0.5f, -0.5f, 2.5f, 0f}, new Shape(1, 7));
            NDArray y = m.create(new float[] {0f, 0.5f, 1f, 0f, 0f, 1f, -1f}, new Shape(1, 7));
            float[] out = CorrBlock.bilinear(img, x, y).toFloatArray();
            // inside: exact bilinear; half a pixel outside: half the edge value; a whole pixel out: 0
            assertArrayEquals(new float[] {0f, 3f, 5f, 0.5f, 0f, 2.5f, 0f}, out, 1e-6f);
        }
    }

    @Test
    void aOnePixelWidePyramidLevelGivesNaNAsInPyTorch() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray img = m.ones(new Shape(1, 1, 1, 1));
            NDArray at = m.zeros(new Shape(1, 2));
            assertTrue(Float.isNaN(CorrBlock.bilinear(img, at, at).toFloatArray()[0]));
        }
    }

    @Test
    void convexUpsamplingOfAConstantFlowIsEightTimesTheFlowInside() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray flow = m.full(new Shape(1, 2, 3, 4), 1.5f);
            NDArray mask = m.zeros(new Shape(1, 576, 3, 4));
            NDArray up = Raft.upsampleFlow(flow, mask);
            assertEquals(new Shape(1, 2, 24, 32), up.getShape());
            // uniform weights over the 3x3 neighbourhood: interior pixels see 9 taps of 12
            assertEquals(12f, up.getFloat(0, 0, 12, 12), 1e-5f);
            // the top-left 8x8 cell's neighbourhood has 5 zero-padded taps: 4 * 12 / 9
            assertEquals(4 * 12f / 9, up.getFloat(0, 1, 0, 0), 1e-5f);
        }
    }

    @Test
    void convexUpsamplingPlacesSubpixelsRowMajorWithinEachCell() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray flow = m.arange(0f, 4f).reshape(1, 1, 2, 2).repeat(1, 2);
            // a mask that puts all weight on the centre tap (index 4) for every sub-pixel
            float[] mask = new float[576 * 4];
            for (int sub = 0; sub < 64; sub++) {
                for (int p = 0; p < 4; p++) {
                    mask[(4 * 64 + sub) * 4 + p] = 50f;
                }
            }
            NDArray up = Raft.upsampleFlow(flow, m.create(mask, new Shape(1, 576, 2, 2)));
            assertEquals(0f, up.getFloat(0, 0, 7, 7), 1e-4f);
            assertEquals(8f, up.getFloat(0, 0, 0, 8), 1e-4f);
            assertEquals(16f, up.getFloat(0, 0, 8, 0), 1e-4f);
            assertEquals(24f, up.getFloat(0, 1, 15, 15), 1e-4f);
        }
    }

    @Test
    void padderCentresAndReplicatesLikeSintelMode() {
        try (NDManager m = NDManager.newBaseManager()) {
            ReplicatePadder padder = new ReplicatePadder(5, 8, RaftFlow.PAD_DIVISOR);
            assertEquals(8, padder.paddedHeight());
            assertEquals(8, padder.paddedWidth());
            NDArray image = m.arange(0f, 40f).reshape(1, 1, 5, 8).repeat(1, 3);
            NDArray padded = padder.pad(image);
            assertEquals(new Shape(1, 3, 8, 8), padded.getShape());
            // 3 rows of padding: 1 on top, 2 below
            assertArrayEquals(image.get("0, 0, 0").toFloatArray(), padded.get("0, 0, 0").toFloatArray());
            assertArrayEquals(image.get("0, 0, 0").toFloatArray(), padded.get("0, 0, 1").toFloatArray());
            assertArrayEquals(image.get("0, 0, 4").toFloatArray(), padded.get("0, 0, 7").toFloatArray());
            assertThrows(IllegalArgumentException.class, () -> padder.pad(m.zeros(new Shape(1, 3, 6, 8))));
        }
    }

    @Test
    void coordinateGridHoldsXThenY() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray grid = Raft.coordsGrid(m, 2, 3);
            assertArrayEquals(new float[] {0, 1, 2, 0, 1, 2, 0, 0, 0, 1, 1, 1}, grid.toFloatArray());
        }
    }
}

package dev.qvgen.harness.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The official frame rule and torchvision's antialiased resize, on values worked out by hand. */
class ClipRulesTest {
    @Test
    void evenRuleIsRangeZeroNStepNOverFTakeF() {
        // Python: list(range(0, 100, 100 // 49))[:49] == [0, 2, ..., 96]
        int[] idx = ClipSampler.even(49).indices(100, 30);
        assertEquals(49, idx.length);
        assertEquals(0, idx[0]);
        assertEquals(96, idx[48]);
        assertEquals(1, ClipSampler.even(49).indices(49, 30)[1], "stride 1 at exactly 49 frames");
        assertNull(ClipSampler.even(49).indices(48, 30), "fewer than 49 frames: too short");
        assertArrayEquals(new int[] {0, 3, 6}, ClipSampler.stride(3, 3).indices(7, 30));
        assertNull(ClipSampler.stride(3, 3).indices(6, 30));
        // 30 fps source resampled to 8 fps: t = 0, 1/8, 2/8 s -> frames 0, 3.75, 7.5 floored
        assertArrayEquals(new int[] {0, 3, 7}, ClipSampler.fps(3, 8).indices(8, 30));
    }

    @Test
    void antialiasedBilinearHalvingWeighsOneThreeThreeOne() {
        float[] row = {0, 8, 16, 0, 0, 0, 0, 0};
        float[] out = FrameResizer.resize(row, 1, 1, 8, 1, 4, FrameResizer.Filter.BILINEAR);
        // output 1 is centred at input 3 with support 2: weights 1/8, 3/8, 3/8, 1/8 over inputs 1..4
        assertEquals((8 + 3 * 16) / 8f, out[1], 1e-6f);
        // output 0 is clipped at the border: inputs 0..2 with weights 3/4, 3/4, 1/4 renormalised
        assertEquals((0.75f * 0 + 0.75f * 8 + 0.25f * 16) / 1.75f, out[0], 1e-6f);
        assertArrayEquals(row, FrameResizer.resize(row, 1, 1, 8, 1, 8, FrameResizer.Filter.BICUBIC), "same size: unchanged");
    }
}

package dev.qvgen.metrics.backbone;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.video.DecodedVideo;
import java.util.List;
import org.junit.jupiter.api.Test;

class VBenchTransformsTest {

    @Test
    void resizeKeepsAspectAndTruncatesTheLongSideLikeTorchvision() {
        assertArrayEquals(new int[] {224, 388}, VBenchTransforms.resizedSize(480, 832, 224)); // 388.27
        assertArrayEquals(new int[] {398, 224}, VBenchTransforms.resizedSize(720, 405, 224)); // 398.2
        assertArrayEquals(new int[] {224, 224}, VBenchTransforms.resizedSize(64, 64, 224));
    }

    @Test
    void bilinearUsesHalfPixelCentres() {
        // 1x4 -> 1x2: scale 2, output x samples source 0.5 and 2.5
        float[] out = TorchResize.bilinear(new float[] {0, 10, 20, 40}, 1, 1, 4, 1, 2);
        assertArrayEquals(new float[] {5, 30}, out, 1e-6f);
        // 1x2 -> 1x4: source -0.25 clamps to 0, then 0.25, 0.75, 1.25 (clamped tap)
        out = TorchResize.bilinear(new float[] {0, 8}, 1, 1, 2, 1, 4);
        assertArrayEquals(new float[] {0, 2, 6, 8}, out, 1e-6f);
    }

    @Test
    void bicubicReproducesConstantsAndLinearRampsInside() {
        float[] flat = new float[3 * 5 * 7];
        java.util.Arrays.fill(flat, 100f);
        for (float v : TorchResize.bicubic(flat, 3, 5, 7, 9, 4)) {
            assertEquals(100f, v, 1e-4f);
        }
        // ATen's A = -0.75 (not the linear-exact -0.5): output 4 of a 2x upscale samples 1.75,
        // t = 0.75, taps 0..3 weighted -0.03515625, 0.26171875, 0.87890625, -0.10546875
        float[] ramp = new float[16];
        for (int i = 0; i < 16; i++) {
            ramp[i] = i;
        }
        float[] up = TorchResize.bicubic(ramp, 1, 1, 16, 1, 32);
        assertEquals(0.26171875f + 2 * 0.87890625f - 3 * 0.10546875f, up[4], 1e-6f);
        assertEquals(1.703125f, up[4], 1e-6f);
    }

    @Test
    void clipTransformCropsTheCentreAndNormalises() {
        // 2 rows x 6 cols after "resize" to n=2: crop left = round((6-2)/2) = 2
        byte[] rgb = new byte[2 * 6 * 3];
        for (int r = 0; r < 2; r++) {
            for (int c = 0; c < 6; c++) {
                for (int k = 0; k < 3; k++) {
                    rgb[(r * 6 + c) * 3 + k] = (byte) (c * 40 + k);
                }
            }
        }
        DecodedVideo v = new DecodedVideo(List.of(rgb), 2, 6, 8);
        VBenchTransforms.Image im = VBenchTransforms.clip(v, 0, 2);
        assertEquals(2, im.height());
        assertEquals(2, im.width());
        // channel 0, row 0, col 0 of the crop is source column 2: value 80
        float expected = (80f / 255f - VBenchTransforms.CLIP_MEAN[0]) / VBenchTransforms.CLIP_STD[0];
        assertEquals(expected, im.chw()[0], 1e-6f);
        float expectedG = (121f / 255f - VBenchTransforms.CLIP_MEAN[1]) / VBenchTransforms.CLIP_STD[1];
        assertEquals(expectedG, im.chw()[4 + 1], 1e-6f); // channel 1, row 0, col 1 = source column 3
    }

    @Test
    void resizedValuesStayFloatLikeVBenchsFloatTensor() {
        // VBench resizes torch.Tensor(frames), a float tensor: 0.5 and 2.5 stay, no rounding
        float[] planes = new float[3 * 4];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 4; i++) {
                planes[c * 4 + i] = i;
            }
        }
        float[] out = VBenchTransforms.resizeFloat(planes, 1, 4, 1, 2, false);
        assertArrayEquals(new float[] {0.5f, 2.5f, 0.5f, 2.5f, 0.5f, 2.5f}, out, 0f);
        // bicubic overshoot is not clamped: a 0 -> 255 step upsampled dips below 0 next to the edge
        float[] step = new float[3 * 8];
        for (int c = 0; c < 3; c++) {
            for (int i = 4; i < 8; i++) {
                step[c * 8 + i] = 255f;
            }
        }
        float[] up = VBenchTransforms.resizeFloat(step, 1, 8, 1, 16, true);
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float v : up) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertTrue(min < 0f && max > 255f, "min " + min + " max " + max);
    }
}

package dev.qvgen.metrics.vbench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.backbone.VBenchTransforms;
import dev.qvgen.metrics.ops.SwscaleResize;
import dev.qvgen.video.DecodedVideo;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** VBench's scene rule and frame preparation, with a captioner whose answers are written down. */
class SceneTest {
    static DecodedVideo solid(int frames, int h, int w, byte value) {
        List<byte[]> out = new ArrayList<>();
        for (int t = 0; t < frames; t++) {
            byte[] f = new byte[h * w * 3];
            java.util.Arrays.fill(f, value);
            out.add(f);
        }
        return new DecodedVideo(out, h, w, 8);
    }

    @Test
    void everySceneWordMustBeASubstringOfTheCaption() {
        assertTrue(Scene.matches("alley", "a narrow alley at night"));
        assertTrue(Scene.matches("amusement park", "a park with an amusement ride"));
        assertFalse(Scene.matches("amusement park", "a park at night"));
        // substring, not word: VBench's `q in pred`
        assertTrue(Scene.matches("bar", "a barn in a field"));
        // "a  b".split(' ') has an empty piece, which every caption contains
        assertTrue(Scene.matches("ski  slope", "a ski slope"));
    }

    @Test
    void theSceneIsReadFromVbenchsNestedAuxiliaryInfo() {
        assertEquals("alley", Scene.sceneOf("{\"scene\":\"alley\"}"));
        assertEquals("bus station", Scene.sceneOf("bus station"));
        assertThrows(IllegalArgumentException.class, () -> Scene.sceneOf("{\"place\":\"alley\"}"));
    }

    @Test
    void aVideoScoresItsFractionOfFramesWhoseCaptionNamesTheScene() {
        List<Integer> seen = new ArrayList<>();
        Scene scene = new Scene(() -> (frames, n, size) -> {
            seen.add(n);
            assertEquals(n * 3 * size * size, frames.length);
            List<String> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out.add(i % 4 == 0 ? "a dark alley" : "a street");
            }
            return out;
        });
        var video = solid(40, 24, 32, (byte) 90);
        MetricResult r = scene.score(video, MetricContext.of("alley", Map.of(Scene.SCENE_KEY, "{\"scene\": \"alley\"}")));
        assertEquals(List.of(16), seen);
        assertEquals(4.0 / 16, r.value(), 1e-12);
        assertEquals("4", r.details().get("success_frame_count"));
        assertEquals("16", r.details().get("frame_count"));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> scene.score(video, MetricContext.ofCaption("alley")));
        assertTrue(missing.getMessage().contains("scene.scene"), missing.getMessage());
    }

    @Test
    void framesAreResizedTo384AndImagenetNormalised() {
        var video = solid(3, 24, 32, (byte) 255);
        float[] planes = Scene.frames(video, new int[] {0});
        assertEquals(3 * 384 * 384, planes.length);
        // a flat white frame stays white through the bilinear resize: (1 - mean) / std per channel
        for (int c = 0; c < 3; c++) {
            float expected = (1f - VBenchTransforms.IMAGENET_MEAN[c]) / VBenchTransforms.IMAGENET_STD[c];
            assertEquals(expected, planes[c * 384 * 384 + 1234], 1e-6);
        }
    }

    @Test
    void theResizeKeepsChannelOrderAndLayout() {
        // distinct constant channels: a swapped channel or a wrong stride would move these values
        byte[] rgb = new byte[24 * 32 * 3];
        for (int p = 0; p < 24 * 32; p++) {
            rgb[3 * p] = (byte) 20;
            rgb[3 * p + 1] = (byte) 120;
            rgb[3 * p + 2] = (byte) 220;
        }
        byte[] out = SwscaleResize.bilinear(rgb, 24, 32, 384, 384);
        for (int p : new int[] {0, 777, 384 * 384 - 1}) {
            assertEquals(20, out[3 * p] & 0xff, 2.0);
            assertEquals(120, out[3 * p + 1] & 0xff, 2.0);
            assertEquals(220, out[3 * p + 2] & 0xff, 2.0);
        }
        // left half black, right half white: so is the output, with a blend only near the middle
        byte[] halves = new byte[24 * 32 * 3];
        for (int y = 0; y < 24; y++) {
            for (int x = 16; x < 32; x++) {
                java.util.Arrays.fill(halves, 3 * (y * 32 + x), 3 * (y * 32 + x) + 3, (byte) 255);
            }
        }
        byte[] scaled = SwscaleResize.bilinear(halves, 24, 32, 384, 384);
        for (int y : new int[] {0, 200, 383}) {
            assertTrue((scaled[3 * (y * 384 + 10)] & 0xff) < 5, "left stays black");
            assertTrue((scaled[3 * (y * 384 + 373)] & 0xff) > 250, "right stays white");
            int mid = scaled[3 * (y * 384 + 192)] & 0xff;
            assertTrue(mid > 0 && mid < 255, "the edge is blended: " + mid);
        }
    }
}

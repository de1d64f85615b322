package dev.qvgen.metrics.vbench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.backbone.VBenchTransforms;
import dev.qvgen.metrics.ops.SwscaleResize;
import dev.qvgen.metrics.video.DecodedVideo;

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
        byte[] ramp = new byte[2 * 4 * 3];
        for (int i = 0; i < ramp.length; i++) {
            ramp[i] = (byte) (i * 10);
        }
        assertEquals(8 * 16 * 3, SwscaleResize.bilinear(ramp, 2, 4, 8, 16).length);
    }
}

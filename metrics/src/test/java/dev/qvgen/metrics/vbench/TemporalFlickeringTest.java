package dev.qvgen.metrics.vbench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.ToyClips;
import dev.qvgen.video.DecodedVideo;
import java.util.List;
import org.junit.jupiter.api.Test;

class TemporalFlickeringTest {
    private final TemporalFlickering metric = new TemporalFlickering();

    @Test
    void identicalFramesScoreOne() {
        assertEquals(1.0, score(DecodedVideo.fromFloats(ToyClips.flat(5, 8, 8, 0.4f), 8)));
        assertEquals(1.0, score(DecodedVideo.fromFloats(ToyClips.frozen(ToyClips.render("a red circle moves up slowly", 1)), 8)));
    }

    @Test
    void handComputedTinyCase() {
        // 1x2 RGB frames. Pair 1 differs by 255 in one of 6 samples: 42.5. Pair 2 by 10+20+30: 10.
        byte[] f0 = {0, 0, 0, 10, 20, 30};
        byte[] f1 = {(byte) 255, 0, 0, 10, 20, 30};
        byte[] f2 = {(byte) 255, 0, 0, 0, 0, 0};
        double expected = (255.0 - (42.5 + 10.0) / 2) / 255.0;
        assertEquals(expected, score(new DecodedVideo(List.of(f0, f1, f2), 1, 2, 8)), 1e-9);
        assertEquals(0.8970588235294118, expected, 1e-15);
    }

    @Test
    void flickeringScoresBelowSmoothChange() {
        int frames = 8;
        float[][][][] flicker = new float[frames][][][];
        float[][][][] smooth = new float[frames][][][];
        for (int t = 0; t < frames; t++) {
            flicker[t] = ToyClips.flat(1, 16, 16, t % 2 == 0 ? 0.3f : 0.7f)[0];
            smooth[t] = ToyClips.flat(1, 16, 16, 0.3f + 0.4f * t / (frames - 1))[0];
        }
        double flickerScore = score(DecodedVideo.fromFloats(flicker, 8));
        double smoothScore = score(DecodedVideo.fromFloats(smooth, 8));
        assertTrue(flickerScore < smoothScore - 0.2, flickerScore + " vs " + smoothScore);
        // Alternating 0.3/0.7 levels are 77 and 179 in 8 bits: every pair differs by 102.
        assertEquals((255.0 - 102) / 255.0, flickerScore, 1e-12);
    }

    @Test
    void singleFrameIsUndefined() {
        assertTrue(Double.isNaN(score(DecodedVideo.fromFloats(ToyClips.flat(1, 4, 4, 0.5f), 8))));
    }

    private double score(DecodedVideo video) {
        return metric.score(video, MetricContext.none()).value();
    }
}

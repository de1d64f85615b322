package dev.qvgen.metrics.vbench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.ToyClips;
import dev.qvgen.video.DecodedVideo;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DynamicDegreeTest {
    private static final int SIZE = 256;
    private final DynamicDegree metric = new DynamicDegree();

    @Test
    void staticClipIsNotDynamic() {
        MetricResult result = metric.score(DecodedVideo.fromFloats(ToyClips.frozen(movingChecker(10)), 8),
                MetricContext.none());
        assertEquals(0.0, result.value());
        assertEquals("0", result.details().get("pairs_above_threshold"));
    }

    @Test
    void largeFastObjectIsDynamicAndRecordsTheFlow() {
        MetricResult result = metric.score(DecodedVideo.fromFloats(movingChecker(10), 8), MetricContext.none());
        assertEquals(1.0, result.value(), result.details().toString());
        assertEquals("opencv-farneback", result.details().get("flow"));
        assertEquals("6.0", result.details().get("threshold"));
        assertEquals("2", result.details().get("needed_pairs"));
    }

    @Test
    void motionBelowTheSizeScaledThresholdIsNotDynamic() {
        // 2 px per frame: the top-5% flow stays under 6 * 256/256 = 6 px.
        MetricResult result = metric.score(DecodedVideo.fromFloats(movingChecker(2), 8), MetricContext.none());
        assertEquals(0.0, result.value(), result.details().toString());
    }

    @Test
    void vbenchParametersFollowPythonRounding() {
        assertEquals(0, DynamicDegree.neededPairs(2));
        assertEquals(2, DynamicDegree.neededPairs(6));
        assertEquals(2, DynamicDegree.neededPairs(8));
        assertEquals(2, DynamicDegree.neededPairs(10));
        assertEquals(4, DynamicDegree.neededPairs(14));
        assertEquals(4, DynamicDegree.neededPairs(16));
        assertEquals(4, DynamicDegree.neededPairs(18));
        assertEquals(1, DynamicDegree.frameInterval(4));
        assertEquals(1, DynamicDegree.frameInterval(8));
        assertEquals(2, DynamicDegree.frameInterval(12));
        assertEquals(2, DynamicDegree.frameInterval(20));
        assertEquals(3, DynamicDegree.frameInterval(24));
        assertEquals(0.75, DynamicDegree.threshold(32, 32), 1e-12);
        assertEquals(6.0, DynamicDegree.threshold(512, 256), 1e-12);
    }

    @Test
    void countingStopsAsSoonAsEnoughPairsMoved() {
        assertTrue(DynamicDegree.isDynamic(new double[] {1, 0, 1}, 0.5, 2));
        assertFalse(DynamicDegree.isDynamic(new double[] {1, 0, 0.5}, 0.5, 2));
        assertTrue(DynamicDegree.isDynamic(new double[] {0}, 0.5, 0));
        assertFalse(DynamicDegree.isDynamic(new double[] {}, 0.5, 0));
        assertFalse(DynamicDegree.isDynamic(new double[] {Double.NaN, Double.NaN}, 0.5, 1));
    }

    @Test
    void topFivePercentMean() {
        float[] values = new float[100];
        IntStream.range(0, 100).forEach(i -> values[i] = i);
        assertEquals(97.0, DynamicDegree.meanOfTopFraction(values), 1e-12);
        assertTrue(Double.isNaN(DynamicDegree.meanOfTopFraction(new float[19])));
    }

    @Test
    void nanMagnitudesAreSkippedLikeNumpySortUntilTooFewFiniteRemain() {
        float[] values = new float[100];
        IntStream.range(0, 100).forEach(i -> values[i] = i);
        values[99] = Float.NaN;
        values[50] = Float.NaN;
        // np.sort(-rad) puts NaN last: the top 5 finite values are 94..98
        assertEquals(96.0, DynamicDegree.meanOfTopFraction(values), 1e-12);
        float[] mostlyNan = new float[100];
        java.util.Arrays.fill(mostlyNan, Float.NaN);
        mostlyNan[0] = 1f;
        assertTrue(Double.isNaN(DynamicDegree.meanOfTopFraction(mostlyNan)));
    }

    @Test
    void anyFlowCanBeThresholdedAndIsRecorded() {
        // 64x64 frames measured on a 64x64 grid; threshold 6 * 64 / 256 = 1.5; 5 frames need 1 pair
        OpticalFlow fixed = new OpticalFlow() {
            @Override
            public String name() {
                return "fixed";
            }

            @Override
            public String parameters() {
                return "p=1";
            }

            @Override
            public java.util.List<float[]> pairMagnitudes(DecodedVideo video, java.util.List<Integer> frames) {
                assertEquals(java.util.List.of(0, 1, 2, 3, 4), frames);
                float[] slow = new float[64 * 64];
                float[] fast = slow.clone();
                java.util.Arrays.fill(fast, 0, 205, 1.6f); // int(4096 * 0.05) = 204 pixels above 1.5
                return java.util.List.of(slow, slow, fast, slow);
            }
        };
        MetricResult result = new DynamicDegree(fixed).score(DecodedVideo.fromFloats(ToyClips.flat(5, 64, 64, 0.2f), 8),
                MetricContext.none());
        assertEquals(1.0, result.value());
        assertEquals("fixed", result.details().get("flow"));
        assertEquals("p=1", result.details().get("flow_params"));
        assertEquals("0.0000,0.0000,1.6000,0.0000", result.details().get("pair_scores"));
        assertEquals("1", result.details().get("pairs_above_threshold"));
        assertEquals("0", result.details().get("pairs_nan"));
    }

    @Test
    void highFrameRateClipsAreSubsampledToAboutEightFps() {
        float[][][][] frames = ToyClips.flat(24, 32, 32, 0.2f);
        MetricResult result = metric.score(DecodedVideo.fromFloats(frames, 24), MetricContext.none());
        assertEquals("3", result.details().get("frame_interval"));
        assertEquals("8", result.details().get("frames_used"));
    }

    /** 8 frames of a 96 px checkerboard square moving right by {@code step} px per frame. */
    private static float[][][][] movingChecker(int step) {
        float[][][][] frames = ToyClips.flat(8, SIZE, SIZE, 0.1f);
        for (int t = 0; t < frames.length; t++) {
            int left = 40 + step * t;
            for (int r = 80; r < 176; r++) {
                for (int c = left; c < left + 96; c++) {
                    boolean light = ((r - 80) / 12 + (c - left) / 12) % 2 == 0;
                    java.util.Arrays.fill(frames[t][r][c], light ? 0.9f : 0.4f);
                }
            }
        }
        return frames;
    }
}

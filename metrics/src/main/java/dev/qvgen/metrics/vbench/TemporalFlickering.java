package dev.qvgen.metrics.vbench;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.video.DecodedVideo;
import java.util.Map;

/**
 * VBench "temporal_flickering" (vbench/temporal_flickering.py), re-implemented:
 * <pre>
 *   mae_i = mean over all pixels and channels of |frame_i - frame_{i+1}|   (8-bit values 0..255)
 *   score = (255 - mean_i mae_i) / 255
 * </pre>
 * on every decoded frame (VBench reads all frames with OpenCV, no resizing or sub-sampling,
 * and applies no further normalisation). 1.0 means no change between frames. VBench computes
 * in float32; this uses exact integer sums and doubles, so results agree to about 1e-6.
 * VBench applies this dimension to static-camera prompts only; the number itself is defined
 * for any clip. Fewer than two frames gives NaN (VBench's mean of an empty list).
 */
public final class TemporalFlickering implements VideoMetric {
    public static final String NAME = "temporal_flickering";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public MetricResult score(DecodedVideo video, MetricContext context) {
        int pairs = video.frameCount() - 1;
        if (pairs < 1) {
            return new MetricResult(Double.NaN, Map.of("reason", "needs at least 2 frames"));
        }
        double maeSum = 0;
        byte[] previous = video.rgb8(0);
        for (int t = 1; t <= pairs; t++) {
            byte[] current = video.rgb8(t);
            maeSum += meanAbsoluteDifference(previous, current);
            previous = current;
        }
        double meanMae = maeSum / pairs;
        return new MetricResult((255.0 - meanMae) / 255.0,
                Map.of("mean_abs_diff", Double.toString(meanMae), "pairs", Integer.toString(pairs)));
    }

    static double meanAbsoluteDifference(byte[] a, byte[] b) {
        long sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += Math.abs((a[i] & 0xff) - (b[i] & 0xff));
        }
        return (double) sum / a.length;
    }
}

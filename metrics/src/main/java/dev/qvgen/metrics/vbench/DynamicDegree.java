package dev.qvgen.metrics.vbench;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.metrics.video.DecodedVideo;
import dev.qvgen.metrics.video.OpenCvFrames;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * VBench "dynamic_degree" (vbench/dynamic_degree.py, master as of 2024-12-31), re-implemented
 * with OpenCV Farneback flow instead of RAFT. A video scores 1 (dynamic) or 0 (static):
 * <pre>
 *   interval  = max(1, round(fps / 8))          frames 0, interval, 2*interval, ... are used (n frames)
 *   per pair  : mean of the top int(h*w*0.05) flow magnitudes sqrt(u²+v²)
 *   threshold = 6.0 * min(h, w) / 256
 *   needed    = round(4 * n / 16)                Python round: halves go to the even integer
 *   dynamic   = pairs with score > threshold, counted in order, reach needed
 * </pre>
 * As in VBench, {@code needed == 0} counts as dynamic as soon as one pair exists, and a
 * frame too small for one top-5% pixel scores NaN, which never exceeds the threshold.
 * Differences from VBench: the flow (details "flow" = "opencv-farneback"), computed on
 * gray frames without RAFT's padding to a multiple of 8.
 */
public final class DynamicDegree implements VideoMetric {
    public static final String NAME = "dynamic_degree";
    static final double TOP_FRACTION = 0.05;
    static final double THRESHOLD_PER_256_PX = 6.0;
    static final double REFERENCE_FPS = 8.0;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public MetricResult score(DecodedVideo video, MetricContext context) {
        int interval = frameInterval(video.fps());
        List<Integer> used = new ArrayList<>();
        for (int t = 0; t < video.frameCount(); t += interval) {
            used.add(t);
        }
        double threshold = threshold(video.height(), video.width());
        int needed = neededPairs(used.size());
        double[] pairScores = pairScores(video, used);
        boolean dynamic = isDynamic(pairScores, threshold, needed);
        Map<String, String> details = new LinkedHashMap<>();
        details.put("flow", FarnebackFlow.NAME);
        details.put("flow_params", FarnebackFlow.parameters());
        details.put("frame_interval", Integer.toString(interval));
        details.put("frames_used", Integer.toString(used.size()));
        details.put("threshold", Double.toString(threshold));
        details.put("needed_pairs", Integer.toString(needed));
        details.put("pairs_above_threshold",
                Long.toString(Arrays.stream(pairScores).filter(s -> s > threshold).count()));
        details.put("pair_scores", Arrays.stream(pairScores).mapToObj(s -> String.format("%.4f", s))
                .collect(Collectors.joining(",")));
        return new MetricResult(dynamic ? 1.0 : 0.0, details);
    }

    /** VBench keeps about 8 frames per second: every round(fps/8)-th frame, at least every frame. */
    static int frameInterval(double fps) {
        return (int) Math.max(1, Math.rint(fps / REFERENCE_FPS));
    }

    static double threshold(int height, int width) {
        return THRESHOLD_PER_256_PX * (Math.min(height, width) / 256.0);
    }

    /** {@code round(4 * (n / 16))} with Python's round-half-to-even (Math.rint). */
    static int neededPairs(int frameCount) {
        return (int) Math.rint(4 * (frameCount / 16.0));
    }

    /** VBench's early-exit loop: the count is checked after each pair, including before any is above. */
    static boolean isDynamic(double[] pairScores, double threshold, int needed) {
        int count = 0;
        for (double score : pairScores) {
            if (score > threshold) {
                count++;
            }
            if (count >= needed) {
                return true;
            }
        }
        return false;
    }

    private static double[] pairScores(DecodedVideo video, List<Integer> used) {
        double[] scores = new double[Math.max(0, used.size() - 1)];
        Mat previous = OpenCvFrames.gray(video, used.get(0));
        try {
            for (int i = 1; i < used.size(); i++) {
                Mat next = OpenCvFrames.gray(video, used.get(i));
                scores[i - 1] = meanOfTopFraction(FarnebackFlow.magnitudes(previous, next));
                previous.close();
                previous = next;
            }
        } finally {
            previous.close();
        }
        return scores;
    }

    /** Mean of the largest {@code int(n * 0.05)} values; NaN when that is zero values. */
    static double meanOfTopFraction(float[] magnitudes) {
        int cut = (int) (magnitudes.length * TOP_FRACTION);
        if (cut == 0) {
            return Double.NaN;
        }
        float[] sorted = magnitudes.clone();
        Arrays.sort(sorted);
        double sum = 0;
        for (int i = sorted.length - cut; i < sorted.length; i++) {
            sum += sorted[i];
        }
        return sum / cut;
    }
}

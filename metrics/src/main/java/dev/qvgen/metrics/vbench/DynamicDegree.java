package dev.qvgen.metrics.vbench;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.video.DecodedVideo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * VBench "dynamic_degree" (vbench/dynamic_degree.py, master as of 2024-12-31). A video scores
 * 1 (dynamic) or 0 (static):
 * <pre>
 *   interval  = max(1, round(fps / 8))          frames 0, interval, 2*interval, ... are used (n frames)
 *   per pair  : mean of the top int(h*w*0.05) flow magnitudes sqrt(u²+v²)
 *   threshold = 6.0 * min(h, w) / 256            h, w of the decoded (unpadded) frame
 *   needed    = round(4 * n / 16)                Python round: halves go to the even integer
 *   dynamic   = pairs with score > threshold, counted in order, reach needed
 * </pre>
 * As in VBench, {@code needed == 0} counts as dynamic as soon as one pair exists, and a
 * frame too small for one top-5% pixel scores NaN, which never exceeds the threshold.
 *
 * <p>The flow is pluggable ({@link OpticalFlow}); the details record which produced the score
 * ("flow" = "raft" or "opencv-farneback"). With RAFT ({@code dev.qvgen.metrics.raft}) this is
 * VBench's computation: h*w above is then the padded frame RAFT sees. The default, OpenCV
 * Farneback on gray frames without padding, needs no weights but is not VBench's flow.
 */
public final class DynamicDegree implements VideoMetric {
    public static final String NAME = "dynamic_degree";
    static final double TOP_FRACTION = 0.05;
    static final double THRESHOLD_PER_256_PX = 6.0;
    static final double REFERENCE_FPS = 8.0;

    private final OpticalFlow flow;

    /** Dynamic degree with OpenCV Farneback flow (no weights needed). */
    public DynamicDegree() {
        this(new FarnebackFlow());
    }

    /** Dynamic degree thresholding {@code flow}'s magnitudes, e.g. RAFT's. */
    public DynamicDegree(OpticalFlow flow) {
        this.flow = flow;
    }

    /** The flow this metric thresholds. */
    public OpticalFlow flow() {
        return flow;
    }

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
        double[] pairScores = flow.pairMagnitudes(video, used).stream()
                .mapToDouble(DynamicDegree::meanOfTopFraction)
                .toArray();
        boolean dynamic = isDynamic(pairScores, threshold, needed);
        Map<String, String> details = new LinkedHashMap<>();
        details.put("flow", flow.name());
        details.put("flow_params", flow.parameters());
        details.put("frame_interval", Integer.toString(interval));
        details.put("frames_used", Integer.toString(used.size()));
        details.put("threshold", Double.toString(threshold));
        details.put("needed_pairs", Integer.toString(needed));
        details.put("pairs_above_threshold",
                Long.toString(Arrays.stream(pairScores).filter(s -> s > threshold).count()));
        // e.g. RAFT on frames of 120 px or less a side: its coarsest correlation level is 1 px and PyTorch
        // (hence VBench) returns NaN flow, so such pairs never count as moving.
        details.put("pairs_nan", Long.toString(Arrays.stream(pairScores).filter(Double::isNaN).count()));
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

    /**
     * VBench's {@code np.mean(abs(np.sort(-rad))[:int(h*w*0.05)])}: the mean of the largest
     * {@code int(n * 0.05)} values. NumPy sorts NaN last, so NaN magnitudes are skipped while
     * enough finite ones remain and make the score NaN otherwise; NaN also when the cut is 0.
     */
    static double meanOfTopFraction(float[] magnitudes) {
        int cut = (int) (magnitudes.length * TOP_FRACTION);
        if (cut == 0) {
            return Double.NaN;
        }
        float[] sorted = magnitudes.clone();
        Arrays.sort(sorted); // ascending, NaN last
        int finite = sorted.length;
        while (finite > 0 && Float.isNaN(sorted[finite - 1])) {
            finite--;
        }
        if (finite < cut) {
            return Double.NaN;
        }
        double sum = 0;
        for (int i = finite - cut; i < finite; i++) {
            sum += sorted[i];
        }
        return sum / cut;
    }
}

package dev.qvgen.metrics.vbench;

import dev.qvgen.video.DecodedVideo;
import java.util.List;

/**
 * The dense flow {@link DynamicDegree} thresholds: OpenCV Farneback (the default, no weights
 * needed) or VBench's own RAFT ({@code dev.qvgen.metrics.raft.RaftFlow}).
 */
public interface OpticalFlow {

    /** Recorded as the result's "flow" detail: "opencv-farneback" or "raft". */
    String name();

    /** Recorded as "flow_params": what else decides the numbers (parameters, weights file). */
    String parameters();

    /**
     * Per-pixel flow magnitudes {@code sqrt(u² + v²)} from frame {@code frames[i]} to
     * {@code frames[i+1]}, one array per consecutive pair, over the grid the flow is computed on
     * (for RAFT the padded frame, as VBench measures it).
     */
    List<float[]> pairMagnitudes(DecodedVideo video, List<Integer> frames);
}

package dev.qvgen.metrics;

import dev.qvgen.video.DecodedVideo;
import java.util.Optional;

/** A score computed from decoded frames (never from model tensors). */
public interface VideoMetric {

    /** The registry name, e.g. "temporal_flickering". */
    String name();

    /**
     * Scores one video.
     *
     * @throws IllegalArgumentException if the metric needs something the context lacks
     *         (e.g. a caption it can parse)
     */
    MetricResult score(DecodedVideo video, MetricContext context);

    /**
     * Why this metric cannot produce numbers in this configuration (e.g. its network weights
     * were not given), or empty when it can. Batch scorers report such a dimension as
     * unavailable instead of scoring videos with it.
     */
    default Optional<String> unavailableReason() {
        return Optional.empty();
    }
}

package dev.qvgen.metrics;

import dev.qvgen.metrics.video.DecodedVideo;

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
}

package dev.qvgen.metrics;

import java.util.Optional;

/** What a metric may know besides the frames: the prompt the video was generated from. */
public record MetricContext(String caption) {

    public static MetricContext none() {
        return new MetricContext(null);
    }

    public static MetricContext ofCaption(String caption) {
        return new MetricContext(caption);
    }

    public Optional<String> optionalCaption() {
        return Optional.ofNullable(caption);
    }

    /** @throws IllegalArgumentException naming the metric when no caption was given */
    public String requireCaption(String metricName) {
        if (caption == null || caption.isBlank()) {
            throw new IllegalArgumentException("metric " + metricName + " needs the prompt caption");
        }
        return caption;
    }
}

package dev.qvgen.metrics;

import java.util.Map;
import java.util.Optional;

/**
 * What a metric may know besides the frames: the prompt the video was generated from, and
 * VBench's per-prompt auxiliary info (e.g. {@code appearance_style.appearance_style = "oil
 * painting"}, keyed {@code <dimension>.<field>}).
 */
public record MetricContext(String caption, Map<String, String> auxiliary) {

    public MetricContext {
        auxiliary = auxiliary == null ? Map.of() : Map.copyOf(auxiliary);
    }

    public MetricContext(String caption) {
        this(caption, Map.of());
    }

    public static MetricContext none() {
        return new MetricContext(null);
    }

    public static MetricContext ofCaption(String caption) {
        return new MetricContext(caption);
    }

    public static MetricContext of(String caption, Map<String, String> auxiliary) {
        return new MetricContext(caption, auxiliary);
    }

    /** @throws IllegalArgumentException naming the metric and key when the prompt has no such auxiliary info */
    public String requireAuxiliary(String metricName, String key) {
        String v = auxiliary.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("metric " + metricName + " needs VBench auxiliary info '" + key
                    + "' for this prompt (from VBench_full_info.json)");
        }
        return v;
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

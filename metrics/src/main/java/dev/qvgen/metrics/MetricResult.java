package dev.qvgen.metrics;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A score plus the facts needed to interpret or audit it (e.g. which optical flow produced
 * a dynamic-degree value). Details are sorted by key so reports are stable.
 */
public record MetricResult(double value, Map<String, String> details) {

    public MetricResult {
        details = Collections.unmodifiableMap(new TreeMap<>(details));
    }

    public static MetricResult of(double value) {
        return new MetricResult(value, Map.of());
    }
}

package dev.qvgen.metrics;

import dev.qvgen.metrics.raft.RaftDynamicDegree;
import dev.qvgen.metrics.toy.ToyColorMetric;
import dev.qvgen.metrics.toy.ToyMotionMetric;
import dev.qvgen.metrics.toy.ToyPersistenceMetric;
import dev.qvgen.metrics.toy.ToyShapeMetric;
import dev.qvgen.metrics.vbench.DynamicDegree;
import dev.qvgen.metrics.vbench.TemporalFlickering;
import dev.qvgen.metrics.vbench.VBenchBackbones;
import dev.qvgen.metrics.vbench.VBenchMetrics;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Metrics by name. Names are unique; lookups of unknown names fail listing the known ones. */
public final class MetricRegistry {
    private final Map<String, VideoMetric> metrics = new LinkedHashMap<>();

    /** An empty registry. */
    public MetricRegistry() {
    }

    /** All metrics of this module: the VBench re-implementations and the toy ground-truth scores. */
    public static MetricRegistry standard() {
        return new MetricRegistry()
                .register(new TemporalFlickering())
                .register(new DynamicDegree())
                .register(new ToyColorMetric())
                .register(new ToyShapeMetric())
                .register(new ToyMotionMetric())
                .register(new ToyPersistenceMetric());
    }

    /**
     * All sixteen VBench dimensions by VBench's names, those whose weights are missing or whose
     * network is not ported registered as unavailable (see {@link VBenchMetrics}), plus the toy
     * ground-truth scores.
     */
    public static MetricRegistry vbench(VBenchBackbones backbones) {
        MetricRegistry registry = new MetricRegistry();
        VBenchMetrics.all(backbones).forEach(registry::register);
        return registry
                .register(new ToyColorMetric())
                .register(new ToyShapeMetric())
                .register(new ToyMotionMetric())
                .register(new ToyPersistenceMetric());
    }

    /** @throws IllegalArgumentException if the name is taken */
    public MetricRegistry register(VideoMetric metric) {
        if (metrics.putIfAbsent(metric.name(), metric) != null) {
            throw new IllegalArgumentException("metric name already registered: " + metric.name());
        }
        return this;
    }

    /** Registered names in registration order. */
    public Set<String> names() {
        return Collections.unmodifiableSet(metrics.keySet());
    }

    /** @throws IllegalArgumentException for an unknown name, listing the known ones */
    public VideoMetric get(String name) {
        VideoMetric metric = metrics.get(name);
        if (metric == null) {
            throw new IllegalArgumentException("unknown metric '" + name + "'; known: " + metrics.keySet());
        }
        return metric;
    }

    /** The metrics for these names, in the given order. */
    public List<VideoMetric> resolve(List<String> names) {
        List<VideoMetric> resolved = new ArrayList<>();
        for (String name : names) {
            resolved.add(get(name));
        }
        return resolved;
    }

    /**
     * {@link #standard()} with dynamic_degree computed by RAFT, VBench's own flow, from these
     * weights (e.g. raft-things.pth) instead of OpenCV Farneback; same names, same order.
     *
     * @throws dev.qvgen.layers.io.CheckpointException naming the file when it cannot be used
     */
    public static MetricRegistry standard(java.nio.file.Path raftWeights) {
        RaftDynamicDegree raft = RaftDynamicDegree.load(raftWeights);
        MetricRegistry registry = new MetricRegistry();
        for (VideoMetric metric : standard().metrics.values()) {
            registry.register(metric.name().equals(DynamicDegree.NAME) ? raft : metric);
        }
        return registry;
    }
}

package dev.qvgen.metrics.raft;

import ai.djl.Device;
import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.metrics.vbench.DynamicDegree;
import dev.qvgen.video.DecodedVideo;
import java.nio.file.Path;

/**
 * VBench's dynamic_degree with its own flow model, RAFT: registered under the same name as the
 * Farneback default ({@value DynamicDegree#NAME}) and chosen when RAFT weights are given
 * ({@code MetricRegistry.standard(raftWeights)}). Results carry {@code flow=raft}.
 */
public final class RaftDynamicDegree implements VideoMetric, AutoCloseable {
    private final RaftFlow flow;
    private final DynamicDegree metric;

    private RaftDynamicDegree(RaftFlow flow) {
        this.flow = flow;
        this.metric = new DynamicDegree(flow);
    }

    /**
     * @param weights VBench's {@code raft-things.pth} (or any torch.save state dict of full RAFT)
     * @throws dev.qvgen.layers.io.CheckpointException naming the file when it cannot be used
     */
    public static RaftDynamicDegree load(Path weights) {
        return load(weights, Device.cpu());
    }

    /** {@link #load(Path)} onto {@code device}. */
    public static RaftDynamicDegree load(Path weights, Device device) {
        return new RaftDynamicDegree(RaftFlow.load(weights, device));
    }

    @Override
    public String name() {
        return metric.name();
    }

    /** @throws IllegalArgumentException for frames RAFT cannot take (56 px or less a side) */
    @Override
    public MetricResult score(DecodedVideo video, MetricContext context) {
        return metric.score(video, context);
    }

    /** Frees the model's arrays; the metric cannot score afterwards. */
    @Override
    public void close() {
        flow.close();
    }
}

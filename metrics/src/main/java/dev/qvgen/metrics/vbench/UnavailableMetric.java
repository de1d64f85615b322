package dev.qvgen.metrics.vbench;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.video.DecodedVideo;
import java.util.Optional;

/**
 * A VBench dimension registered by name that cannot be computed here (its network is not
 * ported, or its weights were not given). It never produces a number: scoring throws, and
 * {@link #unavailableReason()} says why, so reports show "unavailable" rather than a guess.
 */
public final class UnavailableMetric implements VideoMetric {
    private final String name;
    private final String reason;

    public UnavailableMetric(String name, String reason) {
        this.name = name;
        this.reason = reason;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public MetricResult score(DecodedVideo video, MetricContext context) {
        throw new IllegalStateException("metric " + name + " is unavailable: " + reason);
    }

    @Override
    public Optional<String> unavailableReason() {
        return Optional.of(reason);
    }
}

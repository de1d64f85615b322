package dev.qvgen.metrics;

import dev.qvgen.video.DecodedVideo;
import dev.qvgen.video.Mp4Reader;
import dev.qvgen.video.VideoReadException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores video files: decodes each once and runs the requested metrics on the frames. An
 * unreadable file becomes a failed {@link VideoScore} so a batch can record it and go on;
 * unknown metric names and unusable captions are caller errors and throw.
 */
public final class VideoScorer {
    private final MetricRegistry registry;

    public VideoScorer(MetricRegistry registry) {
        this.registry = registry;
    }

    /** A scorer over {@link MetricRegistry#standard()}. */
    public static VideoScorer standard() {
        return new VideoScorer(MetricRegistry.standard());
    }

    /**
     * @param caption the prompt the video was generated from (may be null if no metric needs it)
     * @throws IllegalArgumentException for an unknown metric name (before decoding anything) or
     *         a caption a requested metric cannot use
     */
    public VideoScore score(Path video, String caption, List<String> metricNames) {
        List<VideoMetric> metrics = registry.resolve(metricNames);
        DecodedVideo decoded;
        try {
            decoded = Mp4Reader.decode(video);
        } catch (VideoReadException e) {
            return VideoScore.failed(video, e.getMessage());
        }
        return run(video, decoded, caption, metrics);
    }

    /** Scores frames already in memory (e.g. {@link DecodedVideo#fromFloats}); {@code source} only labels the result. */
    public VideoScore score(Path source, DecodedVideo video, String caption, List<String> metricNames) {
        return run(source, video, caption, registry.resolve(metricNames));
    }

    private static VideoScore run(Path source, DecodedVideo video, String caption, List<VideoMetric> metrics) {
        MetricContext context = MetricContext.ofCaption(caption);
        Map<String, Double> scores = new LinkedHashMap<>();
        Map<String, Map<String, String>> details = new LinkedHashMap<>();
        for (VideoMetric metric : metrics) {
            MetricResult result = metric.score(video, context);
            scores.put(metric.name(), result.value());
            details.put(metric.name(), result.details());
        }
        return new VideoScore(source, scores, details, null);
    }
}

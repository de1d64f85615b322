package dev.qvgen.metrics;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The scores of one video file, or why it could not be scored. {@code error} is null for a
 * success; a failed video has empty maps and a one-line error naming the file.
 */
public record VideoScore(Path video, Map<String, Double> scores, Map<String, Map<String, String>> details,
                         String error) {

    public VideoScore {
        scores = Collections.unmodifiableMap(new LinkedHashMap<>(scores));
        details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    public static VideoScore failed(Path video, String error) {
        return new VideoScore(video, Map.of(), Map.of(), error);
    }

    public boolean ok() {
        return error == null;
    }
}

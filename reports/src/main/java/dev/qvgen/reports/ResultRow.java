package dev.qvgen.reports;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * One generated video and its scores. {@code video} is relative to the run directory;
 * {@code error} is null, or a one-line reason the video could not be scored.
 */
public record ResultRow(String method, String bits, int promptIndex, String prompt, long seed, String video,
        Map<String, Double> scores, String error) {
    public ResultRow {
        scores = Collections.unmodifiableMap(new TreeMap<>(scores));
    }

    /** The (method, bits) group this row belongs to, e.g. "rtn w3a3". */
    public String group() {
        return method + " " + bits;
    }
}

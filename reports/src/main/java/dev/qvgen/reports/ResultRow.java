package dev.qvgen.reports;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One generated video and its scores.
 *
 * @param method      quantization method, e.g. "fp", "rtn", "lsq", "qvgen"
 * @param bits        bit-width label, e.g. "fp16", "w4a4", "w3a3"
 * @param promptIndex index of the prompt in its suite
 * @param prompt      the prompt text
 * @param seed        sampling seed
 * @param video       path of the video relative to the run directory, with '/' separators
 * @param scores      metric name → score; a metric the video could not be scored on is absent
 * @param error       null, or a one-line reason the video could not be scored
 */
public record ResultRow(String method, String bits, int promptIndex, String prompt, long seed, String video,
        Map<String, Double> scores, String error) {
    public ResultRow {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(bits, "bits");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(video, "video");
        scores = finiteSorted(scores);
        error = oneLineOrNull(error);
    }

    /** The (method, bits) group this row belongs to, e.g. "rtn w3a3". */
    public String group() {
        return method + " " + bits;
    }

    /**
     * Sorted so that every writer lists metrics in the same order. Null and non-finite values are
     * dropped: they mean "no score", and one NaN kept here would turn a whole group's mean into NaN.
     */
    private static Map<String, Double> finiteSorted(Map<String, Double> scores) {
        TreeMap<String, Double> sorted = new TreeMap<>();
        if (scores != null) {
            scores.forEach((k, v) -> {
                if (v != null && Double.isFinite(v)) {
                    sorted.put(Objects.requireNonNull(k, "metric name"), v);
                }
            });
        }
        return Collections.unmodifiableMap(sorted);
    }

    /** An empty message is no error (CSV cannot tell "" from null); line breaks would break table cells. */
    private static String oneLineOrNull(String error) {
        if (error == null || error.isBlank()) {
            return null;
        }
        return error.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}

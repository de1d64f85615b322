package dev.qvgen.metrics.eval;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One video's outcome in a batch evaluation, one line of {@code <name>_per_video.jsonl}:
 * its per-dimension results and their details, or the error that stopped it.
 *
 * @param videoPath the path as reported in VBench's JSON (videos dir joined with the file name)
 * @param prompt    the prompt it was generated from (null if unknown)
 * @param error     null for a scored video; otherwise a one-line message naming the file
 */
public record EvalRecord(String videoPath, String prompt, Map<String, Double> results,
                         Map<String, Map<String, String>> details, String error) {

    public EvalRecord {
        results = Collections.unmodifiableMap(new LinkedHashMap<>(results == null ? Map.of() : results));
        details = Collections.unmodifiableMap(new LinkedHashMap<>(details == null ? Map.of() : details));
    }

    public boolean ok() {
        return error == null;
    }
}

package dev.qvgen.harness.eval;

import dev.qvgen.metrics.eval.EvalRecord;
import dev.qvgen.reports.ResultRow;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A folder of someone else's videos as the study's result rows, so `merge`, `gate` and the reports
 * read it like a study run: one row per video, labelled with the given method and bits. Prompts are
 * numbered in order of first appearance (the folder is walked in name order); a video's sample
 * index ({@code <prompt>-<i>.mp4}, VBench's naming) stands in the seed column, so two folders made
 * from the same prompts pair video by video.
 */
public final class EvaluationRows {
    private static final Pattern SAMPLE = Pattern.compile("-(\\d+)\\.mp4$");

    private EvaluationRows() {}

    public static List<ResultRow> of(List<EvalRecord> records, String method, String bits) {
        Map<String, Integer> promptIndex = new LinkedHashMap<>();
        List<ResultRow> rows = new ArrayList<>();
        for (EvalRecord r : records) {
            String prompt = r.prompt() == null ? "" : r.prompt();
            int index = promptIndex.computeIfAbsent(prompt, p -> promptIndex.size());
            Matcher m = SAMPLE.matcher(r.videoPath());
            long sample = m.find() ? Long.parseLong(m.group(1)) : 0;
            rows.add(new ResultRow(method, bits, index, prompt, sample, r.videoPath(), r.results(), r.error()));
        }
        return rows;
    }
}

package dev.qvgen.reports;

import java.util.List;
import java.util.Map;

/**
 * Everything a report shows: the rows and their summary, the metrics (name → one-line
 * description), findings as paragraphs, and extra line charts (e.g. training curves).
 */
public record ReportInput(String title, String runId, List<String> notes, List<ResultRow> rows,
        Map<String, String> metrics, List<Chart> charts) {
    /** A line chart of several series. */
    public record Chart(String file, String title, String xLabel, List<Series> series, boolean logY) {}

    public List<Summary> summary() {
        return Summary.of(rows, List.copyOf(metrics.keySet()));
    }
}

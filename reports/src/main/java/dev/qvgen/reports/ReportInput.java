package dev.qvgen.reports;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Everything a report shows.
 *
 * @param title   report heading
 * @param runId   the run's name, e.g. the run directory's name
 * @param notes   findings and remarks, one paragraph each
 * @param rows    one row per video
 * @param summary the rows aggregated per (method, bits)
 * @param metrics the metrics to show, in display order: name → one-line description
 * @param charts  extra line charts, e.g. training curves; may be empty
 */
public record ReportInput(String title, String runId, List<String> notes, List<ResultRow> rows,
        List<Summary> summary, Map<String, String> metrics, List<Chart> charts) {
    /** The bar chart of the scores; chart files must not take its name. */
    public static final String SCORES_PLOT = "scores.svg";

    /**
     * A line chart of several series, written to {@code plots/<file>}.
     *
     * @param file a plain file name ending in ".svg"
     * @param logY plot y on a log scale; non-positive values are left out
     */
    public record Chart(String file, String title, String xLabel, String yLabel, List<Series> series, boolean logY) {
        private static final Pattern FILE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*\\.svg");

        public Chart {
            Objects.requireNonNull(title, "title");
            if (file == null || !FILE.matcher(file).matches() || file.equals(SCORES_PLOT)) {
                throw new IllegalArgumentException("chart file '" + file + "' must be a plain name ending in .svg"
                        + " other than " + SCORES_PLOT);
            }
            xLabel = xLabel == null ? "" : xLabel;
            yLabel = yLabel == null ? "" : yLabel;
            series = List.copyOf(series);
        }

        /** A chart whose y axis is explained by the series names in the legend. */
        public Chart(String file, String title, String xLabel, List<Series> series, boolean logY) {
            this(file, title, xLabel, "", series, logY);
        }
    }

    public ReportInput {
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(runId, "runId");
        notes = List.copyOf(notes);
        rows = List.copyOf(rows);
        summary = List.copyOf(summary);
        // Copied into a LinkedHashMap, not Map.copyOf, to keep the caller's display order.
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        charts = List.copyOf(charts);
        if (charts.stream().map(Chart::file).distinct().count() != charts.size()) {
            throw new IllegalArgumentException("two charts share a file name: " + charts.stream().map(Chart::file).toList());
        }
    }

    /** Summarises the rows over the given metrics. */
    public ReportInput(String title, String runId, List<String> notes, List<ResultRow> rows,
            Map<String, String> metrics, List<Chart> charts) {
        this(title, runId, notes, rows, Summary.of(rows, List.copyOf(metrics.keySet())), metrics, charts);
    }

    /** The metric names in display order. */
    public List<String> metricNames() {
        return List.copyOf(metrics.keySet());
    }
}

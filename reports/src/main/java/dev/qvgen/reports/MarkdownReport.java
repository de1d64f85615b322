package dev.qvgen.reports;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code report.md}: the scores table (method × bits by metric, mean ± standard error, n and
 * errors), the differences from the full-precision group, the notes, the metric descriptions and
 * links to the plots.
 */
public final class MarkdownReport {
    private MarkdownReport() {}

    public static void write(Path file, ReportInput in, List<Plot> plots) throws IOException {
        AtomicFiles.writeString(file, render(in, plots));
    }

    public static String render(ReportInput in, List<Plot> plots) {
        List<String> metrics = in.metricNames();
        StringBuilder sb = new StringBuilder();
        sb.append("# ").append(in.title()).append("\n\nRun `").append(in.runId()).append("`: ")
                .append(in.rows().size()).append(" videos.\n\n");

        sb.append("## Scores (mean ± standard error over videos)\n\n");
        header(sb, List.of("method", "bits", "n", "errors"), metrics);
        for (Summary s : in.summary()) {
            row(sb, List.of(s.method(), s.bits(), Integer.toString(s.videos()), Integer.toString(s.errors())),
                    metrics.stream().map(m -> ScoreFormat.meanSe(s.stats().get(m))).toList());
        }

        Optional<Summary> ref = Summary.reference(in.summary(), Summary.DEFAULT_REFERENCE_METHOD);
        if (ref.isPresent()) {
            sb.append("\n## Difference from ").append(ref.get().group()).append(" (group mean minus its mean)\n\n");
            header(sb, List.of("method", "bits"), metrics);
            for (Summary s : in.summary()) {
                if (s != ref.get()) {
                    Map<String, Double> d = s.deltaVs(ref.get());
                    row(sb, List.of(s.method(), s.bits()), metrics.stream().map(m -> ScoreFormat.delta(d.get(m))).toList());
                }
            }
        } else {
            sb.append("\nNo `").append(Summary.DEFAULT_REFERENCE_METHOD)
                    .append("` group in this run, so no differences from full precision.\n");
        }

        if (!in.notes().isEmpty()) {
            sb.append("\n## Findings\n\n");
            in.notes().forEach(n -> sb.append(n.strip()).append("\n\n"));
        } else {
            sb.append('\n');
        }
        sb.append("## Metrics\n\n");
        in.metrics().forEach((m, d) -> sb.append("- `").append(m).append("`: ").append(d).append('\n'));
        if (!plots.isEmpty()) {
            sb.append("\n## Plots\n\n");
            plots.forEach(p -> sb.append("- [").append(p.title()).append("](").append(p.path()).append(")\n"));
            sb.append('\n');
            plots.forEach(p -> sb.append("![").append(p.title()).append("](").append(p.path()).append(")\n\n"));
        } else {
            sb.append('\n');
        }
        sb.append("Per-video scores: `results.csv`, `results.json`; the videos: `report.html`.\n");
        return sb.toString();
    }

    private static void header(StringBuilder sb, List<String> fixed, List<String> metrics) {
        row(sb, fixed, metrics);
        sb.append('|');
        for (int i = 0; i < fixed.size() + metrics.size(); i++) {
            sb.append(i < fixed.size() ? "---|" : "---:|");
        }
        sb.append('\n');
    }

    private static void row(StringBuilder sb, List<String> fixed, List<String> cells) {
        sb.append('|');
        fixed.forEach(c -> sb.append(' ').append(cell(c)).append(" |"));
        cells.forEach(c -> sb.append(' ').append(cell(c)).append(" |"));
        sb.append('\n');
    }

    /** A '|' in a method or metric name would otherwise add a column. */
    private static String cell(String s) {
        return s.replace("|", "\\|").replaceAll("\\s*\\R\\s*", " ");
    }
}

package dev.qvgen.reports;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code report.md}: summary table (method × bits by metric), deltas vs full precision, notes, plots. */
public final class MarkdownReport {
    private MarkdownReport() {}

    public static String render(ReportInput in, List<String> plotFiles) {
        List<String> metrics = List.copyOf(in.metrics().keySet());
        List<Summary> summary = in.summary();
        StringBuilder sb = new StringBuilder();
        sb.append("# ").append(in.title()).append("\n\nRun `").append(in.runId()).append("`.\n\n");
        sb.append("## Scores (mean ± standard error over videos)\n\n| method | bits | n | errors |");
        metrics.forEach(m -> sb.append(' ').append(m).append(" |"));
        sb.append("\n|---|---|---|---|");
        metrics.forEach(m -> sb.append("---|"));
        sb.append('\n');
        for (Summary s : summary) {
            sb.append("| ").append(s.method()).append(" | ").append(s.bits()).append(" | ").append(s.videos())
                    .append(" | ").append(s.errors()).append(" |");
            for (String m : metrics) {
                Summary.Stat st = s.stats().get(m);
                sb.append(' ').append(st.n() == 0 ? "–" : String.format(Locale.ROOT, "%.3f ± %.3f", st.mean(), st.stdErr()))
                        .append(" |");
            }
            sb.append('\n');
        }
        Summary ref = reference(summary);
        if (ref != null) {
            sb.append("\n## Difference from ").append(ref.group()).append("\n\n| method | bits |");
            metrics.forEach(m -> sb.append(' ').append(m).append(" |"));
            sb.append("\n|---|---|");
            metrics.forEach(m -> sb.append("---|"));
            sb.append('\n');
            for (Summary s : summary) {
                sb.append("| ").append(s.method()).append(" | ").append(s.bits()).append(" |");
                for (Map.Entry<String, Double> d : s.deltaVs(ref).entrySet()) {
                    sb.append(' ').append(Double.isNaN(d.getValue()) ? "–" : String.format(Locale.ROOT, "%+.3f", d.getValue()))
                            .append(" |");
                }
                sb.append('\n');
            }
        }
        if (!in.notes().isEmpty()) {
            sb.append("\n## Findings\n\n");
            in.notes().forEach(n -> sb.append(n).append("\n\n"));
        }
        sb.append("## Metrics\n\n");
        in.metrics().forEach((m, d) -> sb.append("- `").append(m).append("`: ").append(d).append('\n'));
        if (!plotFiles.isEmpty()) {
            sb.append("\n## Plots\n\n");
            plotFiles.forEach(p -> sb.append("![").append(p).append("](").append(p).append(")\n"));
        }
        sb.append("\nVideos and per-video scores: `results.csv`, `results.json`, `report.html`.\n");
        return sb.toString();
    }

    /** The full-precision group ("fp" method), or null when the run has none. */
    static Summary reference(List<Summary> summary) {
        return summary.stream().filter(s -> s.method().equals("fp")).findFirst().orElse(null);
    }
}

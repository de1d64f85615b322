package dev.qvgen.reports;

import dev.qvgen.reports.paper.PaperTable;
import dev.qvgen.reports.paper.PublishedNumbers;
import dev.qvgen.reports.paper.TrainingLog;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * {@code paper.md} and {@code paper.html}: the run in the layout of the paper's tables (rows method
 * × bits, columns VBench dimensions, with deltas against full precision and against the paper's
 * published numbers), the QAT gradient-norm and Φ-rank curves from training logs, and (HTML) the
 * grid of playable videos. Like report.html, the HTML needs no script and nothing from outside.
 */
public final class PaperReport {
    /**
     * @param model     the run's model id (e.g. cogvideox-2b): selects the published numbers
     * @param published the paper's numbers, or null
     * @param logs      QAT training logs, one per trained method (may be empty)
     */
    public record Input(String title, String runId, String model, List<ResultRow> rows, PublishedNumbers published,
            List<TrainingLog> logs, List<String> notes) {
        public Input {
            Objects.requireNonNull(title, "title");
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(model, "model");
            rows = List.copyOf(rows);
            logs = List.copyOf(logs);
            notes = List.copyOf(notes);
        }
    }

    private PaperReport() {}

    /** Writes plots/qat_*.svg, paper.md and paper.html; returns them in that order. */
    public static List<Path> write(Path runDir, Input in) throws IOException {
        List<Path> written = new ArrayList<>();
        List<Plot> plots = plots(in);
        for (Plot p : plots) {
            Path f = runDir.resolve(p.path());
            AtomicFiles.writeString(f, p.svg());
            written.add(f);
        }
        PaperTable table = PaperTable.of(in.model(), in.rows(), in.published());
        Path md = runDir.resolve("paper.md");
        AtomicFiles.writeString(md, markdown(in, table, plots));
        written.add(md);
        Path html = runDir.resolve("paper.html");
        AtomicFiles.writeString(html, html(in, table, plots));
        written.add(html);
        return List.copyOf(written);
    }

    /** The training charts: one gradient-norm chart over all logs, then one rank chart per log that has Φ layers. */
    static List<Plot> plots(Input in) {
        List<Plot> plots = new ArrayList<>();
        if (in.logs().isEmpty()) {
            return plots;
        }
        List<ReportInput.Chart> charts = new ArrayList<>();
        charts.add(TrainingLog.gradNormChart("qat_grad_norm.svg", in.logs()));
        for (int i = 0; i < in.logs().size(); i++) {
            TrainingLog l = in.logs().get(i);
            if (!l.ranks().isEmpty()) {
                charts.add(l.rankChart("qat_rank_" + i + "_" + fileSafe(l.label()) + ".svg"));
            }
        }
        for (ReportInput.Chart c : charts) {
            plots.add(new Plot("plots/" + c.file(), c.title(),
                    SvgPlots.lines(c.title(), c.xLabel(), c.yLabel(), c.series(), c.logY())));
        }
        return plots;
    }

    static String markdown(Input in, PaperTable table, List<Plot> plots) {
        StringBuilder sb = new StringBuilder("# ").append(in.title()).append("\n\nRun `").append(in.runId())
                .append("`, model `").append(in.model()).append("`: ").append(in.rows().size()).append(" videos.\n\n");
        in.notes().forEach(n -> sb.append(n.strip()).append("\n\n"));
        sb.append(table.markdown());
        if (!plots.isEmpty()) {
            sb.append("## QAT training\n\n");
            plots.forEach(p -> sb.append("![").append(p.title()).append("](").append(p.path()).append(")\n\n"));
        }
        sb.append("Videos: `paper.html`; per-video scores: `results.csv`, `results.json`.\n");
        return sb.toString();
    }

    static String html(Input in, PaperTable table, List<Plot> plots) {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>")
                .append(Html.escape(in.title())).append("</title>\n<style>\n").append(HtmlReport.STYLE)
                .append("\n</style>\n</head>\n<body>\n<h1>").append(Html.escape(in.title())).append("</h1>\n<p>Run <code>")
                .append(Html.escape(in.runId())).append("</code>, model <code>").append(Html.escape(in.model()))
                .append("</code>: ").append(in.rows().size()).append(" videos. Scores per video: ")
                .append("<a href=\"results.csv\">results.csv</a>, <a href=\"results.json\">results.json</a>.</p>\n");
        in.notes().forEach(n -> sb.append("<p>").append(Html.escape(n.strip())).append("</p>\n"));
        table.html(sb);
        if (!plots.isEmpty()) {
            sb.append("<h2>QAT training</h2>\n");
            plots.forEach(p -> sb.append("<figure class=\"plot\">\n").append(p.svg())
                    .append("<figcaption><a href=\"").append(Html.escape(VideoGrid.uri(p.path()))).append("\">")
                    .append(Html.escape(p.title())).append("</a></figcaption>\n</figure>\n"));
        }
        sb.append("<h2>Videos</h2>\n<p>Rows: prompts; columns: method and bit width; one clip per seed.</p>\n");
        List<String> metrics = table.dimensions().isEmpty()
                ? in.rows().stream().flatMap(r -> r.scores().keySet().stream()).distinct().sorted().toList()
                : table.dimensions();
        VideoGrid.render(sb, in.rows(), metrics);
        sb.append("</body>\n</html>\n");
        return sb.toString();
    }

    private static String fileSafe(String s) {
        String f = s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "-").replaceAll("^[^a-z0-9]+", "");
        return f.isEmpty() ? "log" : f;
    }
}

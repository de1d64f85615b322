package dev.qvgen.reports;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code report.html}: the tables of {@link MarkdownReport}, the plots inline and a grid of the
 * playable videos. One file that needs nothing else: no script, no fonts or styles from a CDN.
 * The markup is also well-formed XML (closed elements, quoted attribute values), so it can be
 * checked with an XML parser.
 */
public final class HtmlReport {
    static final String STYLE = String.join("\n",
            "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;line-height:1.4}",
            "table{border-collapse:collapse;margin:.5em 0 1.5em}",
            "th,td{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}",
            "td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}",
            "th[title]{text-decoration:underline dotted;cursor:help}",
            "figure.plot{margin:1em 0}",
            "figure.plot svg{max-width:100%;height:auto}",
            VideoGrid.STYLE);

    private HtmlReport() {}

    public static void write(Path file, ReportInput in, List<Plot> plots) throws IOException {
        AtomicFiles.writeString(file, render(in, plots));
    }

    public static String render(ReportInput in, List<Plot> plots) {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>")
                .append(esc(in.title())).append("</title>\n<style>\n").append(STYLE).append("\n</style>\n</head>\n")
                .append("<body>\n<h1>").append(esc(in.title())).append("</h1>\n<p>Run <code>").append(esc(in.runId()))
                .append("</code>: ").append(in.rows().size()).append(" videos. Data: ")
                .append("<a href=\"results.csv\">results.csv</a>, <a href=\"results.json\">results.json</a>; ")
                .append("<a href=\"report.md\">report.md</a>.</p>\n");
        scores(sb, in);
        deltas(sb, in);
        if (!in.notes().isEmpty()) {
            sb.append("<h2>Findings</h2>\n");
            in.notes().forEach(n -> sb.append("<p>").append(esc(n.strip())).append("</p>\n"));
        }
        sb.append("<h2>Metrics</h2>\n<ul>\n");
        in.metrics().forEach((m, d) -> sb.append("<li><code>").append(esc(m)).append("</code>: ").append(esc(d))
                .append("</li>\n"));
        sb.append("</ul>\n");
        if (!plots.isEmpty()) {
            sb.append("<h2>Plots</h2>\n");
            // Our own SVG, its text already escaped: inserted as markup, not as text.
            plots.forEach(p -> sb.append("<figure class=\"plot\">\n").append(p.svg())
                    .append("<figcaption><a href=\"").append(esc(VideoGrid.uri(p.path()))).append("\">")
                    .append(esc(p.title())).append("</a></figcaption>\n</figure>\n"));
        }
        sb.append("<h2>Videos</h2>\n<p>Rows: prompts; columns: method and bit width; one clip per seed. ")
                .append("Hover over a clip, or open its caption, for its scores.</p>\n");
        VideoGrid.render(sb, in.rows(), in.metricNames());
        sb.append("</body>\n</html>\n");
        return sb.toString();
    }

    private static void scores(StringBuilder sb, ReportInput in) {
        sb.append("<h2>Scores (mean ± standard error over videos)</h2>\n<table>\n<tr><th>method</th><th>bits</th>")
                .append("<th>n</th><th>errors</th>");
        in.metrics().forEach((m, d) -> sb.append("<th title=\"").append(esc(d)).append("\">").append(esc(m))
                .append("</th>"));
        sb.append("</tr>\n");
        for (Summary s : in.summary()) {
            sb.append("<tr><td>").append(esc(s.method())).append("</td><td>").append(esc(s.bits()))
                    .append("</td><td class=\"num\">").append(s.videos()).append("</td><td class=\"num\">")
                    .append(s.errors()).append("</td>");
            in.metricNames().forEach(m -> sb.append("<td class=\"num\">")
                    .append(esc(ScoreFormat.meanSe(s.stats().get(m)))).append("</td>"));
            sb.append("</tr>\n");
        }
        sb.append("</table>\n");
    }

    private static void deltas(StringBuilder sb, ReportInput in) {
        Optional<Summary> ref = Summary.reference(in.summary(), Summary.DEFAULT_REFERENCE_METHOD);
        if (ref.isEmpty()) {
            sb.append("<p>No <code>").append(esc(Summary.DEFAULT_REFERENCE_METHOD))
                    .append("</code> group in this run, so no differences from full precision.</p>\n");
            return;
        }
        sb.append("<h2>Difference from ").append(esc(ref.get().group()))
                .append(" (group mean minus its mean)</h2>\n<table>\n<tr><th>method</th><th>bits</th>");
        in.metricNames().forEach(m -> sb.append("<th>").append(esc(m)).append("</th>"));
        sb.append("</tr>\n");
        for (Summary s : in.summary()) {
            if (s == ref.get()) {
                continue;
            }
            Map<String, Double> d = s.deltaVs(ref.get());
            sb.append("<tr><td>").append(esc(s.method())).append("</td><td>").append(esc(s.bits())).append("</td>");
            in.metricNames().forEach(m -> sb.append("<td class=\"num\">").append(esc(ScoreFormat.delta(d.get(m))))
                    .append("</td>"));
            sb.append("</tr>\n");
        }
        sb.append("</table>\n");
    }

    private static String esc(String s) {
        return Html.escape(s);
    }
}

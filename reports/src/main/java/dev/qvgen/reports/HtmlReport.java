package dev.qvgen.reports;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** {@code report.html}: tables, inline SVG plots and a grid of playable videos (prompt × method). */
public final class HtmlReport {
    private HtmlReport() {}

    public static String render(ReportInput in, Map<String, String> svgByFile) {
        List<String> metrics = List.copyOf(in.metrics().keySet());
        List<Summary> summary = in.summary();
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
                .append(Html.escape(in.title())).append("</title>\n<style>\n")
                .append("body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:1em 0}")
                .append("td,th{border:1px solid #ccc;padding:3px 7px;font-size:13px;text-align:right}")
                .append("th.l,td.l{text-align:left}video{width:96px;height:96px;image-rendering:pixelated;")
                .append("background:#000}.cell{display:inline-block;text-align:center;font-size:10px}")
                .append(".grid td{vertical-align:top}\n</style>\n</head>\n<body>\n<h1>")
                .append(Html.escape(in.title())).append("</h1>\n<p>Run <code>").append(Html.escape(in.runId()))
                .append("</code></p>\n<h2>Scores (mean ± standard error)</h2>\n<table>\n<tr><th class=\"l\">method</th>")
                .append("<th class=\"l\">bits</th><th>n</th><th>errors</th>");
        metrics.forEach(m -> sb.append("<th title=\"").append(Html.escape(in.metrics().get(m))).append("\">")
                .append(Html.escape(m)).append("</th>"));
        sb.append("</tr>\n");
        Summary ref = MarkdownReport.reference(summary);
        for (Summary s : summary) {
            sb.append("<tr><td class=\"l\">").append(Html.escape(s.method())).append("</td><td class=\"l\">")
                    .append(Html.escape(s.bits())).append("</td><td>").append(s.videos()).append("</td><td>")
                    .append(s.errors()).append("</td>");
            Map<String, Double> delta = ref == null ? Map.of() : s.deltaVs(ref);
            for (String m : metrics) {
                Summary.Stat st = s.stats().get(m);
                sb.append("<td>").append(st.n() == 0 ? "–" : String.format(Locale.ROOT, "%.3f ± %.3f", st.mean(),
                        st.stdErr()));
                Double d = delta.get(m);
                if (ref != null && s != ref && d != null && !d.isNaN()) {
                    sb.append(String.format(Locale.ROOT, " <small>(%+.3f)</small>", d));
                }
                sb.append("</td>");
            }
            sb.append("</tr>\n");
        }
        sb.append("</table>\n");
        if (ref != null) {
            sb.append("<p>In brackets: difference from ").append(Html.escape(ref.group())).append(".</p>\n");
        }
        if (!in.notes().isEmpty()) {
            sb.append("<h2>Findings</h2>\n");
            in.notes().forEach(n -> sb.append("<p>").append(Html.escape(n)).append("</p>\n"));
        }
        sb.append("<h2>Plots</h2>\n");
        svgByFile.values().forEach(svg -> sb.append("<div>").append(svg).append("</div>\n"));
        sb.append("<h2>Metrics</h2>\n<ul>\n");
        in.metrics().forEach((m, d) -> sb.append("<li><code>").append(Html.escape(m)).append("</code>: ")
                .append(Html.escape(d)).append("</li>\n"));
        sb.append("</ul>\n<h2>Videos</h2>\n");
        videoGrid(sb, in.rows(), metrics);
        sb.append("</body>\n</html>\n");
        return sb.toString();
    }

    /** Rows = prompts, columns = method/bits groups; each cell holds that prompt's videos (one per seed). */
    private static void videoGrid(StringBuilder sb, List<ResultRow> rows, List<String> metrics) {
        List<String> groups = rows.stream().map(ResultRow::group).distinct().toList();
        Map<String, List<ResultRow>> byPrompt = new LinkedHashMap<>();
        rows.forEach(r -> byPrompt.computeIfAbsent(r.promptIndex() + "\u0000" + r.prompt(), k -> new ArrayList<>()).add(r));
        sb.append("<table class=\"grid\">\n<tr><th class=\"l\">prompt</th>");
        groups.forEach(g -> sb.append("<th>").append(Html.escape(g)).append("</th>"));
        sb.append("</tr>\n");
        for (List<ResultRow> pr : byPrompt.values()) {
            sb.append("<tr><td class=\"l\">").append(Html.escape(pr.get(0).prompt())).append("</td>");
            for (String g : groups) {
                sb.append("<td>");
                for (ResultRow r : pr.stream().filter(x -> x.group().equals(g)).toList()) {
                    String tip = r.error() != null ? r.error() : metrics.stream().filter(r.scores()::containsKey)
                            .map(m -> String.format(Locale.ROOT, "%s=%.3f", m, r.scores().get(m)))
                            .collect(Collectors.joining(" "));
                    sb.append("<div class=\"cell\" title=\"").append(Html.escape(tip)).append("\"><video src=\"")
                            .append(Html.escape(uri(r.video()))).append("\" controls loop muted playsinline></video>")
                            .append("<br>seed ").append(r.seed()).append("</div>");
                }
                sb.append("</td>");
            }
            sb.append("</tr>\n");
        }
        sb.append("</table>\n");
    }

    /** Percent-encodes what a relative URL cannot hold literally (spaces in VBench-style names). */
    static String uri(String path) {
        StringBuilder sb = new StringBuilder();
        for (byte b : path.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (Character.isLetterOrDigit(c) && c < 128 || "/-_.~".indexOf(c) >= 0) {
                sb.append((char) c);
            } else {
                sb.append(String.format(Locale.ROOT, "%%%02X", c));
            }
        }
        return sb.toString();
    }
}

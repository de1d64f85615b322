package dev.qvgen.reports;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The HTML grid of videos: one row per prompt, one column per (method, bits), one clip per seed. */
final class VideoGrid {
    /**
     * Clips are tiny (the toy world renders 32×32): drawn at 128 px with nearest-neighbour scaling
     * so the pixels stay sharp instead of blurring.
     */
    static final String STYLE = String.join("\n",
            "table.videos td,table.videos th{vertical-align:top}",
            "figure.clip{display:inline-block;margin:2px;font-size:11px;text-align:center}",
            "figure.clip video{display:block;width:128px;height:128px;object-fit:contain;background:#000;"
                    + "image-rendering:pixelated}",
            "figure.clip figcaption{max-width:128px}",
            "figure.clip summary{cursor:pointer}",
            "figure.clip .scores{text-align:left;white-space:pre;font-family:monospace}",
            ".err{color:#b00020}");

    private VideoGrid() {}

    static void render(StringBuilder sb, List<ResultRow> rows, List<String> metrics) {
        List<List<String>> groups = rows.stream().map(r -> List.of(r.method(), r.bits())).distinct().toList();
        Map<List<Object>, List<ResultRow>> byPrompt = new LinkedHashMap<>();
        rows.forEach(r -> byPrompt.computeIfAbsent(List.of(r.promptIndex(), r.prompt()), k -> new ArrayList<>())
                .add(r));
        sb.append("<table class=\"videos\">\n<tr><th>prompt</th>");
        groups.forEach(g -> sb.append("<th>").append(Html.escape(g.get(0) + " " + g.get(1))).append("</th>"));
        sb.append("</tr>\n");
        for (List<ResultRow> promptRows : byPrompt.values()) {
            ResultRow first = promptRows.get(0);
            sb.append("<tr><th>").append(first.promptIndex()).append(". ").append(Html.escape(first.prompt()))
                    .append("</th>");
            for (List<String> g : groups) {
                sb.append("<td>");
                promptRows.stream().filter(r -> r.method().equals(g.get(0)) && r.bits().equals(g.get(1)))
                        .forEach(r -> clip(sb, r, metrics));
                sb.append("</td>");
            }
            sb.append("</tr>\n");
        }
        sb.append("</table>\n");
    }

    /** A video with its scores as a hover tooltip and, for touch screens, in a collapsible caption. */
    private static void clip(StringBuilder sb, ResultRow r, List<String> metrics) {
        List<String> lines = new ArrayList<>();
        for (String m : metrics) {
            Double v = r.scores().get(m);
            lines.add(m + " " + (v == null ? ScoreFormat.NONE : ScoreFormat.score(v)));
        }
        if (r.error() != null) {
            lines.add("error: " + r.error());
        }
        String tooltip = String.join("&#10;", lines.stream().map(Html::escape).toList());
        sb.append("<figure class=\"clip\" title=\"").append(tooltip).append("\">")
                // Boolean attributes written as attr="" (the same as bare attr in HTML) to stay well-formed XML.
                .append("<video src=\"").append(Html.escape(uri(r.video())))
                .append("\" controls=\"\" loop=\"\" muted=\"\" playsinline=\"\" preload=\"metadata\"></video>")
                .append("<figcaption><details><summary").append(r.error() != null ? " class=\"err\"" : "")
                .append(">seed ").append(r.seed()).append(r.error() != null ? " (error)" : "")
                .append("</summary><div class=\"scores\">").append(String.join("\n", lines.stream()
                        .map(Html::escape).toList())).append("</div></details></figcaption></figure>");
    }

    /**
     * Percent-encodes what a relative URL cannot hold literally: video names are prompts, with
     * spaces and possibly '#', '?' or non-ASCII letters.
     */
    static String uri(String path) {
        StringBuilder sb = new StringBuilder();
        for (byte b : path.replace('\\', '/').getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c < 128 && Character.isLetterOrDigit(c) || "/-_.~".indexOf(c) >= 0) {
                sb.append((char) c);
            } else {
                sb.append(String.format(Locale.ROOT, "%%%02X", c));
            }
        }
        return sb.toString();
    }
}

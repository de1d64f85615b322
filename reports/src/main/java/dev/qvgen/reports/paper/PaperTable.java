package dev.qvgen.reports.paper;

import dev.qvgen.reports.Html;
import dev.qvgen.reports.ResultRow;
import dev.qvgen.reports.Summary;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A run's scores in the layout of the paper's tables: one row per (method, bits), full precision
 * first, then each bit width (W4A4 before W3A3) with the methods in the paper's order; one column
 * per VBench dimension the run scored, as percentages like VBench and the paper print them. Two
 * more tables give each cell minus the full-precision row and minus the paper's published value.
 */
public final class PaperTable {
    /** VBench's 16 dimensions in its own order (also the order of the paper's columns): the dimension registry's. */
    public static final List<String> VBENCH_DIMENSIONS = dev.qvgen.suites.vbench.VBenchDimensions.ALL;
    /** Methods in the order of the paper's tables: the methods registry's. */
    public static final List<String> METHOD_ORDER = dev.qvgen.quantizer.Methods.names();
    private static final Pattern BITS = Pattern.compile("w(\\d+)a(\\d+)");
    private static final String NONE = "–";

    /** A claim of the paper set against this run: the run's margin of the method over the strongest other. */
    public record ClaimCheck(PublishedNumbers.Claim claim, double ours, String strongestOther) {}

    private final String model;
    private final List<String> dims;
    private final List<Summary> groups;
    private final Summary fp;
    private final PublishedNumbers published;

    private PaperTable(String model, List<String> dims, List<Summary> groups, PublishedNumbers published) {
        this.model = model;
        this.dims = dims;
        this.groups = groups;
        this.fp = groups.stream().filter(g -> g.method().equals("fp")).findFirst().orElse(null);
        this.published = published;
    }

    /**
     * @param model     the run's model id (results rows do not name it), e.g. {@code cogvideox-2b}
     * @param published the paper's numbers, or null for none
     */
    public static PaperTable of(String model, List<ResultRow> rows, PublishedNumbers published) {
        List<String> dims = VBENCH_DIMENSIONS.stream()
                .filter(d -> rows.stream().anyMatch(r -> r.scores().containsKey(d))).toList();
        List<Summary> groups = new ArrayList<>(Summary.of(rows, dims));
        List<String> firstSeen = groups.stream().map(Summary::bits).distinct().toList();
        groups.sort(Comparator.<Summary>comparingInt(g -> g.method().equals("fp") ? 0 : 1)
                .thenComparing(g -> bitsRank(g.bits(), firstSeen))
                .thenComparingInt(g -> methodRank(g.method()))
                .thenComparing(Summary::method));
        return new PaperTable(model, dims, List.copyOf(groups), published);
    }

    public List<String> dimensions() {
        return dims;
    }

    /** Rows in display order. */
    public List<Summary> rows() {
        return groups;
    }

    /** The group's mean in percent; NaN when it has no score. */
    public double percent(Summary g, String dim) {
        Summary.Stat s = g.stats().get(dim);
        return s == null || s.n() == 0 ? Double.NaN : 100 * s.mean();
    }

    /** Minus the full-precision row, in percentage points; NaN without an fp row. */
    public double deltaFp(Summary g, String dim) {
        return fp == null ? Double.NaN : percent(g, dim) - percent(fp, dim);
    }

    /** Minus the paper's value, in percentage points. */
    public Optional<Double> deltaPaper(Summary g, String dim) {
        if (published == null) {
            return Optional.empty();
        }
        return published.value(model, g.method(), g.bits(), dim).map(v -> percent(g, dim) - v.value());
    }

    /** Whether any cell has a published value to compare with. */
    public boolean hasPublished() {
        return groups.stream().anyMatch(g -> dims.stream().anyMatch(d -> deltaPaper(g, d).isPresent()));
    }

    /** The paper's claims about this model, each with this run's margin (NaN when the run lacks the rows). */
    public List<ClaimCheck> claims() {
        if (published == null) {
            return List.of();
        }
        List<ClaimCheck> out = new ArrayList<>();
        for (PublishedNumbers.Claim c : published.claims(model)) {
            Summary own = groups.stream().filter(g -> g.method().equals(c.method()) && g.bits().equals(c.bits()))
                    .findFirst().orElse(null);
            Summary best = groups.stream()
                    .filter(g -> g.bits().equals(c.bits()) && !g.method().equals(c.method()) && !g.method().equals("fp"))
                    .filter(g -> !Double.isNaN(percent(g, c.dimension())))
                    .max(Comparator.comparingDouble(g -> percent(g, c.dimension()))).orElse(null);
            double ours = own == null || best == null || !dims.contains(c.dimension()) ? Double.NaN
                    : percent(own, c.dimension()) - percent(best, c.dimension());
            out.add(new ClaimCheck(c, ours, best == null ? null : best.method()));
        }
        return out;
    }

    // ---- rendering ----------------------------------------------------------------------------

    /** The three tables and the claims as Markdown. */
    public String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("## Paper layout: ").append(model).append(" (VBench, %)\n\n");
        if (dims.isEmpty()) {
            return sb.append("No VBench dimension in these results.\n\n").toString();
        }
        mdTable(sb, (g, d) -> fmt(percent(g, d), false));
        sb.append("\n### Difference from full precision (percentage points)\n\n");
        if (fp == null) {
            sb.append("No full-precision (`fp`) row in these results.\n");
        } else {
            mdTable(sb, (g, d) -> fmt(deltaFp(g, d), true));
        }
        sb.append("\n### Difference from the paper (percentage points)\n\n");
        if (hasPublished()) {
            mdTable(sb, (g, d) -> deltaPaper(g, d).map(v -> fmt(v, true)).orElse(NONE));
            sb.append("\nPublished values: ").append(sources()).append(".\n");
        } else {
            sb.append(noPublished()).append('\n');
        }
        List<ClaimCheck> claims = claims();
        if (!claims.isEmpty()) {
            sb.append("\n### Claims of the paper\n\n| claim | source | this run |\n|---|---|---:|\n");
            for (ClaimCheck c : claims) {
                sb.append("| ").append(md(claimText(c.claim()))).append(" | ").append(md(c.claim().source()))
                        .append(" | ").append(md(ourMargin(c))).append(" |\n");
            }
        }
        return sb.append('\n').toString();
    }

    /** The same as HTML (well-formed, escaped), appended to {@code sb}. */
    public void html(StringBuilder sb) {
        sb.append("<h2>Paper layout: ").append(esc(model)).append(" (VBench, %)</h2>\n");
        if (dims.isEmpty()) {
            sb.append("<p>No VBench dimension in these results.</p>\n");
            return;
        }
        htmlTable(sb, "paper-scores", (g, d) -> fmt(percent(g, d), false));
        sb.append("<h3>Difference from full precision (percentage points)</h3>\n");
        if (fp == null) {
            sb.append("<p>No full-precision (<code>fp</code>) row in these results.</p>\n");
        } else {
            htmlTable(sb, "paper-delta-fp", (g, d) -> fmt(deltaFp(g, d), true));
        }
        sb.append("<h3>Difference from the paper (percentage points)</h3>\n");
        if (hasPublished()) {
            htmlTable(sb, "paper-delta-published", (g, d) -> deltaPaper(g, d).map(v -> fmt(v, true)).orElse(NONE));
            sb.append("<p>Published values: ").append(esc(sources())).append(".</p>\n");
        } else {
            sb.append("<p>").append(esc(noPublished())).append("</p>\n");
        }
        List<ClaimCheck> claims = claims();
        if (!claims.isEmpty()) {
            sb.append("<h3>Claims of the paper</h3>\n<table class=\"paper-claims\">\n<tr><th>claim</th><th>source</th>")
                    .append("<th>this run</th></tr>\n");
            for (ClaimCheck c : claims) {
                sb.append("<tr><td>").append(esc(claimText(c.claim()))).append("</td><td>")
                        .append(esc(c.claim().source())).append("</td><td class=\"num\">").append(esc(ourMargin(c)))
                        .append("</td></tr>\n");
            }
            sb.append("</table>\n");
        }
    }

    private interface CellFn {
        String cell(Summary g, String dim);
    }

    private void mdTable(StringBuilder sb, CellFn f) {
        sb.append("| Method | Bits |");
        dims.forEach(d -> sb.append(' ').append(dimensionName(d)).append(" |"));
        sb.append("\n|---|---|");
        dims.forEach(d -> sb.append("---:|"));
        sb.append('\n');
        for (Summary g : groups) {
            sb.append("| ").append(md(methodName(g.method()))).append(" | ").append(md(g.bits().toUpperCase(Locale.ROOT)))
                    .append(" |");
            dims.forEach(d -> sb.append(' ').append(f.cell(g, d)).append(" |"));
            sb.append('\n');
        }
    }

    private void htmlTable(StringBuilder sb, String cssClass, CellFn f) {
        sb.append("<table class=\"").append(cssClass).append("\">\n<tr><th>Method</th><th>Bits</th>");
        dims.forEach(d -> sb.append("<th>").append(esc(dimensionName(d))).append("</th>"));
        sb.append("</tr>\n");
        for (Summary g : groups) {
            sb.append("<tr><td>").append(esc(methodName(g.method()))).append("</td><td>")
                    .append(esc(g.bits().toUpperCase(Locale.ROOT))).append("</td>");
            dims.forEach(d -> sb.append("<td class=\"num\">").append(esc(f.cell(g, d))).append("</td>"));
            sb.append("</tr>\n");
        }
        sb.append("</table>\n");
    }

    private String sources() {
        return published.tables().stream().filter(t -> t.model().equals(model)).map(PublishedNumbers.Table::source)
                .distinct().reduce((a, b) -> a + "; " + b).orElse("") + " of " + published.paper();
    }

    private String noPublished() {
        return "No published per-method numbers for " + model + " in the bundled data ("
                + (published == null ? "none given" : published.note()) + ")";
    }

    private static String claimText(PublishedNumbers.Claim c) {
        return String.format(Locale.ROOT, "%s %s on %s: %+.2f %s over %s", methodName(c.method()),
                c.bits().toUpperCase(Locale.ROOT), c.model(), c.improvement(), c.paperDimension(), c.over());
    }

    private static String ourMargin(ClaimCheck c) {
        if (Double.isNaN(c.ours())) {
            return "not measured (the run lacks these rows)";
        }
        return String.format(Locale.ROOT, "%+.2f over %s", c.ours(), methodName(c.strongestOther()));
    }

    /** "dynamic_degree" → "Dynamic Degree". */
    public static String dimensionName(String d) {
        StringBuilder sb = new StringBuilder();
        for (String w : d.split("_")) {
            if (!w.isEmpty()) {
                sb.append(sb.length() == 0 ? "" : " ").append(Character.toUpperCase(w.charAt(0))).append(w.substring(1));
            }
        }
        return sb.toString();
    }

    public static String methodName(String m) {
        return dev.qvgen.quantizer.Methods.names().contains(m) ? dev.qvgen.quantizer.Methods.get(m).label() : m;
    }

    private static int methodRank(String m) {
        int i = METHOD_ORDER.indexOf(m);
        return i < 0 ? METHOD_ORDER.size() : i;
    }

    /** W4A4 before W3A3 (more bits first); labels that are not wXaY keep their first-seen order after. */
    private static int bitsRank(String bits, List<String> firstSeen) {
        Matcher m = BITS.matcher(bits);
        if (m.matches()) {
            return -(Integer.parseInt(m.group(1)) * 100 + Integer.parseInt(m.group(2)));
        }
        return 1 + firstSeen.indexOf(bits);
    }

    private static String fmt(double v, boolean signed) {
        if (Double.isNaN(v)) {
            return NONE;
        }
        return String.format(Locale.ROOT, signed ? "%+.2f" : "%.2f", v);
    }

    private static String md(String s) {
        return s.replace("|", "\\|").replaceAll("\\s*\\R\\s*", " ");
    }

    private static String esc(String s) {
        return Html.escape(s);
    }
}

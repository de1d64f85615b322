package dev.qvgen.reports;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Self-contained SVG charts: no script, no fonts or styles from elsewhere, readable in a browser,
 * inline in HTML and in Markdown viewers. The same input gives the same bytes.
 */
public final class SvgPlots {
    // Tableau 10: distinguishable, and still tellable apart by most colour-blind readers.
    private static final String[] PALETTE = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
        "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
    private static final double LEFT = 70;
    private static final double TOP = 46;
    private static final double PLOT_H = 240;
    private static final double TICK_FONT = 10;
    private static final double LABEL_FONT = 11;
    private static final double LEGEND_ROW = 16;
    private static final String AXIS = "#444";
    private static final String GRID = "#e3e3e3";
    private static final String NOTE = "fill=\"#666\"";

    private SvgPlots() {}

    /**
     * Metrics along the x axis, one bar per (method, bits) group showing its mean, with a whisker
     * of ± one standard error, and a legend of the groups. A group without a value for a metric
     * gets no bar there.
     */
    public static String groupedBars(String title, List<Summary> groups, List<String> metrics) {
        double slot = Math.max(64, groups.size() * 16 + 24);
        double plotW = Math.max(360, metrics.size() * slot);
        slot = plotW / Math.max(1, metrics.size());
        double barW = Math.min(28, (slot - 16) / Math.max(1, groups.size()));
        double widest = metrics.stream().mapToDouble(m -> Svg.textWidth(m, LABEL_FONT)).max().orElse(0);
        // Long metric names would run into each other: slant them instead.
        boolean slanted = widest > slot - 6;
        double labelsH = slanted ? widest * Math.sin(Math.toRadians(35)) + 14 : 24;

        Axis y = Axis.linear(lowest(groups, metrics), highest(groups, metrics));
        Frame f = new Frame(plotW, labelsH, legendWidth(groups.stream().map(Summary::group).toList()),
                groups.size());
        Svg svg = f.start(title, "bars: mean over videos; whiskers: ± 1 standard error");
        f.yAxis(svg, y, "score");
        double zero = f.yOf(y, Math.max(y.lo(), Math.min(y.hi(), 0)));
        for (int mi = 0; mi < metrics.size(); mi++) {
            String metric = metrics.get(mi);
            double x0 = LEFT + mi * slot + (slot - barW * groups.size()) / 2;
            for (int gi = 0; gi < groups.size(); gi++) {
                Summary.Stat s = groups.get(gi).stats().get(metric);
                if (s == null || !Double.isFinite(s.mean())) {
                    continue;
                }
                double x = x0 + gi * barW;
                double top = f.yOf(y, s.mean());
                svg.rect(x + 1, Math.min(top, zero), barW - 2, Math.abs(zero - top), color(gi),
                        String.format(Locale.ROOT, "%s, %s: %.4f ± %.4f (n=%d)", groups.get(gi).group(), metric,
                                s.mean(), s.stdErr(), s.n()));
                if (Double.isFinite(s.stdErr()) && s.stdErr() > 0) {
                    whisker(svg, x + barW / 2, f.yOf(y, s.mean() - s.stdErr()), f.yOf(y, s.mean() + s.stdErr()),
                            Math.min(6, barW / 3));
                }
            }
            double cx = LEFT + (mi + 0.5) * slot;
            double ly = TOP + PLOT_H + 16;
            if (slanted) {
                svg.text(cx, ly, metric, LABEL_FONT, "end", -35, "");
            } else {
                svg.text(cx, ly, metric, LABEL_FONT, "middle", 0, "");
            }
        }
        svg.line(LEFT, zero, LEFT + plotW, zero, AXIS, 1);
        for (int gi = 0; gi < groups.size(); gi++) {
            double ly = f.legendY(gi);
            svg.rect(f.legendX(), ly - 9, 12, 10, color(gi), null);
            svg.text(f.legendX() + 18, ly, groups.get(gi).group(), LABEL_FONT, "start", 0, "");
        }
        return svg.end();
    }

    /**
     * Several series on shared axes with a legend. With {@code logY} the y axis is logarithmic and
     * points with y ≤ 0 are left out. A non-finite coordinate breaks the line; series of up to 40
     * points also get a marker on each point, so that a single point still shows.
     */
    public static String lines(String title, String xLabel, String yLabel, List<Series> series, boolean logY) {
        double xMin = Double.POSITIVE_INFINITY;
        double xMax = Double.NEGATIVE_INFINITY;
        double yMin = Double.POSITIVE_INFINITY;
        double yMax = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (double[] p : s.points()) {
                if (Double.isFinite(p[0]) && Double.isFinite(p[1]) && (!logY || p[1] > 0)) {
                    xMin = Math.min(xMin, p[0]);
                    xMax = Math.max(xMax, p[0]);
                    yMin = Math.min(yMin, p[1]);
                    yMax = Math.max(yMax, p[1]);
                }
            }
        }
        boolean empty = xMin > xMax;
        Axis x = empty ? Axis.linear(0, 1) : Axis.linear(xMin, xMax);
        Axis y = empty ? (logY ? Axis.log(1, 10) : Axis.linear(0, 1)) : logY ? Axis.log(yMin, yMax)
                : Axis.linear(yMin, yMax);
        double plotW = 560;
        Frame f = new Frame(plotW, 40, legendWidth(series.stream().map(Series::name).toList()) + 14,
                series.size());
        Svg svg = f.start(title, empty ? "no data" : logY ? "log scale" : "");
        f.yAxis(svg, y, yLabel);
        for (double t : x.ticks()) {
            double px = LEFT + plotW * x.fraction(t);
            svg.line(px, TOP, px, TOP + PLOT_H, GRID, 1);
            svg.line(px, TOP + PLOT_H, px, TOP + PLOT_H + 4, AXIS, 1);
            svg.text(px, TOP + PLOT_H + 16, x.label(t), TICK_FONT, "middle", 0, "");
        }
        svg.line(LEFT, TOP + PLOT_H, LEFT + plotW, TOP + PLOT_H, AXIS, 1);
        svg.text(LEFT + plotW / 2, TOP + PLOT_H + 34, xLabel, LABEL_FONT, "middle", 0, "");
        for (int si = 0; si < series.size(); si++) {
            List<double[]> pts = series.get(si).points();
            List<double[]> run = new ArrayList<>();
            for (double[] p : pts) {
                if (!Double.isFinite(p[0]) || !y.accepts(p[1])) {
                    svg.polyline(run, color(si), 1.5);
                    run = new ArrayList<>();
                    continue;
                }
                double[] xy = {LEFT + plotW * x.fraction(p[0]), f.yOf(y, p[1])};
                run.add(xy);
                if (pts.size() <= 40) {
                    svg.circle(xy[0], xy[1], 2.5, color(si));
                }
            }
            svg.polyline(run, color(si), 1.5);
            double ly = f.legendY(si);
            svg.line(f.legendX(), ly - 4, f.legendX() + 20, ly - 4, color(si), 2.5);
            svg.text(f.legendX() + 26, ly, series.get(si).name(), LABEL_FONT, "start", 0, "");
        }
        return svg.end();
    }

    private static void whisker(Svg svg, double x, double yLow, double yHigh, double halfCap) {
        svg.line(x, yLow, x, yHigh, "#222", 1);
        svg.line(x - halfCap, yLow, x + halfCap, yLow, "#222", 1);
        svg.line(x - halfCap, yHigh, x + halfCap, yHigh, "#222", 1);
    }

    /** The bars start at zero, so the axis always holds it. */
    private static double lowest(List<Summary> groups, List<String> metrics) {
        double lo = 0;
        for (Summary g : groups) {
            for (String m : metrics) {
                Summary.Stat s = g.stats().get(m);
                if (s != null && Double.isFinite(s.mean())) {
                    lo = Math.min(lo, s.mean() - (Double.isFinite(s.stdErr()) ? s.stdErr() : 0));
                }
            }
        }
        return lo;
    }

    private static double highest(List<Summary> groups, List<String> metrics) {
        double hi = 0;
        for (Summary g : groups) {
            for (String m : metrics) {
                Summary.Stat s = g.stats().get(m);
                if (s != null && Double.isFinite(s.mean())) {
                    hi = Math.max(hi, s.mean() + (Double.isFinite(s.stdErr()) ? s.stdErr() : 0));
                }
            }
        }
        return hi;
    }

    private static double legendWidth(List<String> names) {
        return 40 + names.stream().mapToDouble(n -> Svg.textWidth(n, LABEL_FONT)).max().orElse(0);
    }

    private static String color(int i) {
        return PALETTE[i % PALETTE.length];
    }

    /** The page geometry shared by both charts: title, plot area, y axis, legend on the right. */
    private record Frame(double plotW, double belowPlot, double legendW, int legendRows) {
        double width() {
            return LEFT + plotW + 16 + legendW;
        }

        double height() {
            return Math.max(TOP + PLOT_H + belowPlot + 10, TOP + legendRows * LEGEND_ROW + 10);
        }

        Svg start(String title, String subtitle) {
            Svg svg = new Svg(width(), height(), title);
            svg.text(LEFT, 20, title, 14, "start", 0, "font-weight=\"bold\"");
            if (!subtitle.isEmpty()) {
                svg.text(LEFT, 36, subtitle, TICK_FONT, "start", 0, NOTE);
            }
            return svg;
        }

        double yOf(Axis y, double v) {
            return TOP + PLOT_H * (1 - y.fraction(v));
        }

        /** Grid lines, ticks and their labels, the axis line and its rotated label. */
        void yAxis(Svg svg, Axis y, String label) {
            for (double t : y.minorTicks()) {
                svg.line(LEFT - 2, yOf(y, t), LEFT, yOf(y, t), AXIS, 1);
            }
            for (double t : y.ticks()) {
                double py = yOf(y, t);
                svg.line(LEFT, py, LEFT + plotW, py, GRID, 1);
                svg.line(LEFT - 4, py, LEFT, py, AXIS, 1);
                svg.text(LEFT - 7, py + 3.5, y.label(t), TICK_FONT, "end", 0, "");
            }
            svg.line(LEFT, TOP, LEFT, TOP + PLOT_H, AXIS, 1);
            if (!label.isEmpty()) {
                svg.text(22, TOP + PLOT_H / 2, label, LABEL_FONT, "middle", -90, "");
            }
        }

        double legendX() {
            return LEFT + plotW + 24;
        }

        double legendY(int row) {
            return TOP + 10 + row * LEGEND_ROW;
        }
    }
}

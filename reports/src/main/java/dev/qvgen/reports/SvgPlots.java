package dev.qvgen.reports;

import java.util.List;
import java.util.Locale;

/** Self-contained SVG charts (no script, no external resources); same input, same bytes. */
public final class SvgPlots {
    private static final String[] PALETTE = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
        "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
    private static final int W = 760;
    private static final int H = 340;
    private static final int LEFT = 60;
    private static final int RIGHT = 170;
    private static final int TOP = 30;
    private static final int BOTTOM = 60;

    private SvgPlots() {}

    /** Metrics on the x-axis, one bar (mean, with a standard-error whisker) per group. */
    public static String groupedBars(String title, List<Summary> groups, List<String> metrics) {
        StringBuilder sb = header(title);
        double ymax = 0;
        for (Summary g : groups) {
            for (String m : metrics) {
                Summary.Stat s = g.stats().get(m);
                if (s != null && Double.isFinite(s.mean())) {
                    ymax = Math.max(ymax, s.mean() + (Double.isFinite(s.stdErr()) ? s.stdErr() : 0));
                }
            }
        }
        ymax = niceMax(ymax);
        yAxis(sb, 0, ymax, false);
        int plotW = W - LEFT - RIGHT;
        double slot = plotW / (double) Math.max(1, metrics.size());
        double barW = slot * 0.8 / Math.max(1, groups.size());
        for (int mi = 0; mi < metrics.size(); mi++) {
            double x0 = LEFT + mi * slot + slot * 0.1;
            for (int gi = 0; gi < groups.size(); gi++) {
                Summary.Stat s = groups.get(gi).stats().get(metrics.get(mi));
                if (s == null || !Double.isFinite(s.mean())) {
                    continue;
                }
                double x = x0 + gi * barW;
                double y = y(s.mean(), 0, ymax, false);
                sb.append(f("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s %s: %.4f ± %.4f</title></rect>%n",
                        x, y, barW * 0.95, H - BOTTOM - y, color(gi), esc(groups.get(gi).group()),
                        esc(metrics.get(mi)), s.mean(), s.stdErr()));
                if (Double.isFinite(s.stdErr()) && s.stdErr() > 0) {
                    double cx = x + barW * 0.475;
                    sb.append(f("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#222\"/>%n", cx,
                            y(s.mean() - s.stdErr(), 0, ymax, false), cx, y(s.mean() + s.stdErr(), 0, ymax, false)));
                }
            }
            sb.append(f("<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>%n",
                    LEFT + mi * slot + slot / 2, H - BOTTOM + 16, esc(metrics.get(mi))));
        }
        legend(sb, groups.stream().map(Summary::group).toList());
        return sb.append("</svg>\n").toString();
    }

    /** Several curves on shared axes; {@code logY} plots log10 of positive values. */
    public static String lines(String title, String xLabel, List<Series> series, boolean logY) {
        StringBuilder sb = header(title);
        double xmin = Double.MAX_VALUE;
        double xmax = -Double.MAX_VALUE;
        double ymin = Double.MAX_VALUE;
        double ymax = -Double.MAX_VALUE;
        for (Series s : series) {
            for (double[] p : s.points()) {
                if (!Double.isFinite(p[1]) || (logY && p[1] <= 0)) {
                    continue;
                }
                xmin = Math.min(xmin, p[0]);
                xmax = Math.max(xmax, p[0]);
                ymin = Math.min(ymin, p[1]);
                ymax = Math.max(ymax, p[1]);
            }
        }
        if (xmin > xmax) {
            xmin = 0;
            xmax = 1;
            ymin = logY ? 1 : 0;
            ymax = logY ? 10 : 1;
        }
        if (!logY) {
            ymin = Math.min(0, ymin);
            ymax = niceMax(ymax);
        }
        if (ymax <= ymin) {
            ymax = ymin + 1;
        }
        if (xmax <= xmin) {
            xmax = xmin + 1;
        }
        yAxis(sb, ymin, ymax, logY);
        int plotW = W - LEFT - RIGHT;
        for (int k = 0; k <= 4; k++) {
            double xv = xmin + (xmax - xmin) * k / 4;
            sb.append(f("<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%s</text>%n",
                    LEFT + plotW * k / 4.0, H - BOTTOM + 14, num(xv)));
        }
        sb.append(f("<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>%n",
                LEFT + plotW / 2.0, H - BOTTOM + 32, esc(xLabel)));
        for (int si = 0; si < series.size(); si++) {
            StringBuilder pts = new StringBuilder();
            for (double[] p : series.get(si).points()) {
                if (!Double.isFinite(p[1]) || (logY && p[1] <= 0)) {
                    continue;
                }
                double x = LEFT + plotW * (p[0] - xmin) / (xmax - xmin);
                pts.append(f("%.1f,%.1f ", x, y(p[1], ymin, ymax, logY)));
            }
            sb.append(f("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"%s\"/>%n", color(si),
                    pts.toString().trim()));
        }
        legend(sb, series.stream().map(Series::name).toList());
        return sb.append("</svg>\n").toString();
    }

    private static StringBuilder header(String title) {
        StringBuilder sb = new StringBuilder();
        sb.append(f("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                + "font-family=\"sans-serif\">%n", W, H, W, H));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append(f("<text x=\"%d\" y=\"18\" font-size=\"14\" font-weight=\"bold\">%s</text>%n", LEFT, esc(title)));
        return sb;
    }

    private static void yAxis(StringBuilder sb, double lo, double hi, boolean log) {
        sb.append(f("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>%n", LEFT, TOP, LEFT, H - BOTTOM));
        sb.append(f("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>%n", LEFT, H - BOTTOM, W - RIGHT,
                H - BOTTOM));
        for (int k = 0; k <= 5; k++) {
            double v = log ? Math.pow(10, Math.log10(lo) + (Math.log10(hi) - Math.log10(lo)) * k / 5)
                    : lo + (hi - lo) * k / 5;
            double yy = y(v, lo, hi, log);
            sb.append(f("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n", LEFT, yy, W - RIGHT, yy));
            sb.append(f("<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%s</text>%n", LEFT - 4,
                    yy + 3, num(v)));
        }
    }

    private static void legend(StringBuilder sb, List<String> names) {
        for (int i = 0; i < names.size(); i++) {
            int y = TOP + 14 * i;
            sb.append(f("<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>%n", W - RIGHT + 10, y,
                    color(i)));
            sb.append(f("<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>%n", W - RIGHT + 24, y + 9,
                    esc(names.get(i))));
        }
    }

    private static double y(double v, double lo, double hi, boolean log) {
        double t = log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo);
        return H - BOTTOM - t * (H - BOTTOM - TOP);
    }

    private static double niceMax(double v) {
        if (!(v > 0)) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String color(int i) {
        return PALETTE[i % PALETTE.length];
    }

    private static String num(double v) {
        return Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v != 0) ? f("%.2g", v) : f("%.3g", v);
    }

    static String f(String fmt, Object... args) {
        return String.format(Locale.ROOT, fmt, args);
    }

    static String esc(String s) {
        return Html.escape(s);
    }
}

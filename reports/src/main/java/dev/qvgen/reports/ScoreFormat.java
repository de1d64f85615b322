package dev.qvgen.reports;

import java.util.Locale;

/** How both reports print numbers, so the Markdown and HTML tables always agree. */
final class ScoreFormat {
    /** What a cell shows when there is no number to show. */
    static final String NONE = "–";

    private ScoreFormat() {}

    /** "0.908 ± 0.017"; "0.500 (n=1)" when one value gives no standard error. */
    static String meanSe(Summary.Stat s) {
        if (s == null || s.n() == 0) {
            return NONE;
        }
        if (!Double.isFinite(s.stdErr())) {
            return String.format(Locale.ROOT, "%.3f (n=%d)", s.mean(), s.n());
        }
        return String.format(Locale.ROOT, "%.3f ± %.3f", s.mean(), s.stdErr());
    }

    /** Signed, "+0.012"; a difference that rounds to zero prints as "0.000" rather than "-0.000". */
    static String delta(Double d) {
        if (d == null || !Double.isFinite(d)) {
            return NONE;
        }
        if (Math.abs(d) < 0.0005) {
            return "0.000";
        }
        return String.format(Locale.ROOT, "%+.3f", d);
    }

    static String score(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }
}

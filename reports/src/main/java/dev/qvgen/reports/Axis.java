package dev.qvgen.reports;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A chart axis whose ends and ticks fall on round numbers (1, 2 or 5 × 10^k on a linear axis,
 * powers of ten on a log axis), so readers can interpolate between the labels.
 *
 * @param ticks      labelled positions, lo and hi included
 * @param minorTicks unlabelled positions (2..9 × 10^k on a log axis spanning few decades)
 * @param decimals   digits after the point in the labels of a linear axis, the same for every tick
 */
record Axis(double lo, double hi, boolean log, List<Double> ticks, List<Double> minorTicks, int decimals) {
    /** The most intervals a linear axis is split into; the step is the smallest round one that fits. */
    private static final int MAX_INTERVALS = 7;

    /** The smallest round range holding [min, max]; a single value gets a range around it. */
    static Axis linear(double min, double max) {
        if (!(min <= max) || !Double.isFinite(min) || !Double.isFinite(max)) {
            min = 0;
            max = 1;
        }
        if (min == max) {
            double pad = min == 0 ? 1 : Math.abs(min) / 2;
            min -= pad;
            max += pad;
        }
        int exponent = (int) Math.floor(Math.log10((max - min) / MAX_INTERVALS));
        double unit = Math.pow(10, exponent);
        double step = 10 * unit;
        for (double m : new double[] {1, 2, 5}) {
            if (m * unit * MAX_INTERVALS >= max - min) {
                step = m * unit;
                break;
            }
        }
        long first = (long) Math.floor(min / step + 1e-9);
        long last = (long) Math.ceil(max / step - 1e-9);
        List<Double> ticks = new ArrayList<>();
        for (long i = first; i <= last; i++) {
            ticks.add(i * step);
        }
        int decimals = Math.max(0, -(int) Math.floor(Math.log10(step) + 1e-9));
        return new Axis(first * step, last * step, false, List.copyOf(ticks), List.of(), decimals);
    }

    /** Whole decades holding [minPositive, max]; both must be positive. */
    static Axis log(double minPositive, double max) {
        if (!(minPositive > 0) || !(max >= minPositive) || !Double.isFinite(max)) {
            minPositive = 1;
            max = 10;
        }
        int first = (int) Math.floor(Math.log10(minPositive) + 1e-9);
        int last = Math.max(first + 1, (int) Math.ceil(Math.log10(max) - 1e-9));
        int decades = last - first;
        // Keep about six labels however many decades the data spans.
        int stride = (decades + 5) / 6;
        List<Double> ticks = new ArrayList<>();
        List<Double> minor = new ArrayList<>();
        for (int k = first; k <= last; k++) {
            double decade = Math.pow(10, k);
            if ((k - first) % stride == 0) {
                ticks.add(decade);
            }
            if (decades <= 4 && k < last) {
                for (int m = 2; m <= 9; m++) {
                    minor.add(m * decade);
                }
            }
        }
        return new Axis(Math.pow(10, first), Math.pow(10, last), true, List.copyOf(ticks), List.copyOf(minor), 0);
    }

    /** Where v lies between lo (0) and hi (1). */
    double fraction(double v) {
        return log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo);
    }

    /** Whether v can be drawn on this axis (a log axis cannot place zero or negatives). */
    boolean accepts(double v) {
        return Double.isFinite(v) && (!log || v > 0);
    }

    String label(double v) {
        if (log) {
            int k = (int) Math.round(Math.log10(v));
            return k >= -4 && k <= 5 ? String.format(Locale.ROOT, "%." + Math.max(0, -k) + "f", v) : "1e" + k;
        }
        double magnitude = Math.max(Math.abs(lo), Math.abs(hi));
        if (magnitude >= 1e6) {
            return String.format(Locale.ROOT, "%.2e", v);
        }
        // Rounds -0.0000001 to "0" rather than "-0.000".
        double rounded = Math.abs(v) < Math.pow(10, -decimals) / 2 ? 0 : v;
        return String.format(Locale.ROOT, "%." + decimals + "f", rounded);
    }
}

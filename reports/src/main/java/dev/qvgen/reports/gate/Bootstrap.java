package dev.qvgen.reports.gate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Percentile bootstrap of a mean over prompts. Prompts are the resampling unit (a prompt's seeds
 * are not independent draws: they share the caption), so each value here is one prompt's mean
 * paired difference. Deterministic: the same values, resamples and seed give the same interval.
 */
public final class Bootstrap {
    /** The mean and its two-sided percentile interval. */
    public record Interval(double mean, double low, double high) {}

    private Bootstrap() {}

    public static Interval meanInterval(double[] values, int resamples, double confidence, long seed) {
        int n = values.length;
        if (n == 0) {
            throw new IllegalArgumentException("no values to bootstrap");
        }
        double mean = Arrays.stream(values).sum() / n;
        SplittableRandom rng = new SplittableRandom(seed);
        double[] means = new double[resamples];
        for (int b = 0; b < resamples; b++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += values[rng.nextInt(n)];
            }
            means[b] = s / n;
        }
        Arrays.sort(means);
        double alpha = (1 - confidence) / 2;
        return new Interval(mean, quantile(means, alpha), quantile(means, 1 - alpha));
    }

    /** Linear interpolation between order statistics (type 7, the R and NumPy default). */
    static double quantile(double[] sorted, double q) {
        double h = (sorted.length - 1) * q;
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}

package dev.qvgen.metrics.toy;

import dev.qvgen.suites.toy.ToyColor;

/**
 * Names a colour by the nearest palette entry in RGB space. The tolerance is just under half
 * the smallest distance between two palette colours (blue-cyan, 0.65), so a colour can match
 * at most one entry; colours further from every entry get no name.
 */
public final class ToyColorClassifier {
    public static final double TOLERANCE = 0.3;

    private ToyColorClassifier() {
    }

    /** The palette colour within {@link #TOLERANCE} of (r, g, b) in [0,1], or null. */
    public static ToyColor classify(double r, double g, double b) {
        ToyColor best = null;
        double bestDistance = Double.POSITIVE_INFINITY;
        for (ToyColor candidate : ToyColor.values()) {
            float[] rgb = candidate.rgb();
            double distance = Math.sqrt(square(r - rgb[0]) + square(g - rgb[1]) + square(b - rgb[2]));
            if (distance < bestDistance) {
                bestDistance = distance;
                best = candidate;
            }
        }
        return bestDistance <= TOLERANCE ? best : null;
    }

    private static double square(double x) {
        return x * x;
    }
}

package dev.qvgen.metrics.toy;

import dev.qvgen.suites.toy.ToyObject;
import java.util.ArrayList;
import java.util.List;

/**
 * {@value #NAME}: per expected object, 1 if its track moves as captioned, else 0; averaged over
 * the caption's objects. The rule:
 * <ol>
 *   <li>the object must be found in at least 2 frames;</li>
 *   <li>its velocity is the least-squares slope of the centroid's x and y against the frame
 *       index (robust to one bad centroid, unlike last-minus-first), and its displacement over
 *       the clip is that velocity x (F - 1);</li>
 *   <li>{@code along} = displacement along the captioned direction (signed), {@code across} =
 *       the perpendicular part; the expected distance is D = speed x (F - 1);</li>
 *   <li>pass iff D/sqrt(2) &lt;= along &lt;= D*sqrt(2) and |across| &lt;= along / 2.</li>
 * </ol>
 * The sqrt(2) band is the geometric midpoint between the two speeds (quickly is twice slowly),
 * so the captioned adverb is checked too: an object that moves the right way at the other
 * speed fails. The across bound requires the captioned axis to dominate.
 */
public final class ToyMotionMetric extends ToyObjectMetric {
    public static final String NAME = "toy_motion";
    static final double SPEED_TOLERANCE = Math.sqrt(2);
    static final double MAX_ACROSS_OVER_ALONG = 0.5;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    double scoreObject(ToyTrack track) {
        return motionScore(track);
    }

    static double motionScore(ToyTrack track) {
        List<double[]> points = new ArrayList<>();
        for (int t = 0; t < track.frameCount(); t++) {
            ToyBlob blob = track.perFrame().get(t);
            if (blob != null) {
                points.add(new double[] {t, blob.centroidX(), blob.centroidY()});
            }
        }
        if (points.size() < 2) {
            return 0;
        }
        ToyObject expected = track.expected();
        int span = track.frameCount() - 1;
        double dx = slope(points, 1) * span;
        double dy = slope(points, 2) * span;
        int ux = expected.direction().dx();
        int uy = expected.direction().dy();
        double along = dx * ux + dy * uy;
        double across = Math.abs(dx * uy - dy * ux);
        double distance = expected.speed().pixelsPerFrame() * span;
        boolean rightSpeed = along >= distance / SPEED_TOLERANCE && along <= distance * SPEED_TOLERANCE;
        boolean rightAxis = across <= MAX_ACROSS_OVER_ALONG * along;
        return rightSpeed && rightAxis ? 1 : 0;
    }

    /** Least-squares slope of column {@code k} of the points against column 0 (the frame index). */
    static double slope(List<double[]> points, int k) {
        double meanT = 0;
        double meanV = 0;
        for (double[] p : points) {
            meanT += p[0];
            meanV += p[k];
        }
        meanT /= points.size();
        meanV /= points.size();
        double covariance = 0;
        double variance = 0;
        for (double[] p : points) {
            covariance += (p[0] - meanT) * (p[k] - meanV);
            variance += (p[0] - meanT) * (p[0] - meanT);
        }
        return covariance / variance;
    }
}

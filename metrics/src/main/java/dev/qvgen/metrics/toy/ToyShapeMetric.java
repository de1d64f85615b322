package dev.qvgen.metrics.toy;

/**
 * {@value #NAME}: per expected object, the fraction of frames in which its region (the largest
 * region of its colour) is classified by {@link ToyShapeClassifier} as the captioned shape;
 * frames where the object is not found count as wrong. Averaged over the caption's objects.
 */
public final class ToyShapeMetric extends ToyObjectMetric {
    public static final String NAME = "toy_shape";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    double scoreObject(ToyTrack track) {
        return shapeScore(track);
    }

    static double shapeScore(ToyTrack track) {
        long right = track.perFrame().stream()
                .filter(b -> b != null && b.shape() == track.expected().shape())
                .count();
        return (double) right / track.frameCount();
    }
}

package dev.qvgen.metrics.toy;

/**
 * {@value #NAME}: per expected object, the fraction of frames containing a region of at least
 * {@link ToyBlobDetector#MIN_AREA} pixels whose colour is the object's palette colour;
 * averaged over the caption's objects.
 */
public final class ToyColorMetric extends ToyObjectMetric {
    public static final String NAME = "toy_color";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    double scoreObject(ToyTrack track) {
        return (double) track.colourFrames() / track.frameCount();
    }
}

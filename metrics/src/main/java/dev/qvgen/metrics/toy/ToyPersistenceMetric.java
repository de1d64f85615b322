package dev.qvgen.metrics.toy;

import java.util.Arrays;
import java.util.Objects;

/**
 * {@value #NAME}: per expected object, the fraction of frames in which it is found with an
 * area within [0.5, 2] x its median found area, i.e. it neither vanishes nor explodes. Frames
 * where it is not found count as failures. Averaged over the caption's objects.
 */
public final class ToyPersistenceMetric extends ToyObjectMetric {
    public static final String NAME = "toy_persistence";
    static final double MIN_AREA_RATIO = 0.5;
    static final double MAX_AREA_RATIO = 2.0;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    double scoreObject(ToyTrack track) {
        int[] areas = track.perFrame().stream().filter(Objects::nonNull).mapToInt(ToyBlob::area).sorted().toArray();
        if (areas.length == 0) {
            return 0;
        }
        double median = median(areas);
        long stable = Arrays.stream(areas)
                .filter(a -> a >= MIN_AREA_RATIO * median && a <= MAX_AREA_RATIO * median)
                .count();
        return (double) stable / track.frameCount();
    }

    private static double median(int[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }
}

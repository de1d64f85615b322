package dev.qvgen.metrics.toy;

import dev.qvgen.suites.toy.ToyColor;
import dev.qvgen.suites.toy.ToyShape;
import java.util.ArrayList;
import java.util.List;

/**
 * The pixels of one connected foreground component and how to turn them into a
 * {@link ToyBlob}. Edge pixels are a mix of object and background (anti-aliasing, codec
 * blur), so both the colour and the object's extent are judged against the component's
 * interior.
 */
final class ToyRegion {
    /**
     * Pixels at least this fraction as far from the background as the interior belong to the
     * object: "about half covered". Slightly under 0.5 so that exactly-half-covered edge pixels,
     * which 8-bit rounding can put a level below half, are kept as the ground truth keeps them.
     */
    static final double HALF_COVERAGE = 0.45;

    private final List<Integer> pixels = new ArrayList<>();
    private final List<Integer> interior = new ArrayList<>();

    void add(int pixel, boolean isInterior) {
        pixels.add(pixel);
        if (isInterior) {
            interior.add(pixel);
        }
    }

    int size() {
        return pixels.size();
    }

    /**
     * Colour: per-channel median over the interior (the whole component if erosion left no
     * interior). Extent: pixels whose luma contrast to the background is at least half the
     * interior's median contrast, i.e. roughly at least half covered, matching the toy world's
     * ground-truth masks whatever the object's brightness. Null if fewer than
     * {@code minArea} pixels remain.
     */
    ToyBlob toBlob(byte[] rgb, byte[] luma, int backgroundLuma, int width, int minArea) {
        List<Integer> core = interior.isEmpty() ? pixels : interior;
        List<Integer> object = halfCovered(core, luma, backgroundLuma);
        if (object.size() < minArea) {
            return null;
        }
        int area = object.size();
        double cx = 0;
        double cy = 0;
        int minX = Integer.MAX_VALUE;
        int maxX = Integer.MIN_VALUE;
        int minY = Integer.MAX_VALUE;
        int maxY = Integer.MIN_VALUE;
        for (int pixel : object) {
            int x = pixel % width;
            int y = pixel / width;
            cx += x + 0.5;
            cy += y + 0.5;
            minX = Math.min(minX, x);
            maxX = Math.max(maxX, x);
            minY = Math.min(minY, y);
            maxY = Math.max(maxY, y);
        }
        cx /= area;
        cy /= area;
        double farthest = 0;
        for (int pixel : object) {
            farthest = Math.max(farthest, Math.hypot(pixel % width + 0.5 - cx, pixel / width + 0.5 - cy));
        }
        int boundsWidth = maxX - minX + 1;
        int boundsHeight = maxY - minY + 1;
        ToyShape shape = ToyShapeClassifier.classify(area, boundsWidth, boundsHeight, farthest);
        return new ToyBlob(color(rgb, core), shape, area, cx, cy, boundsWidth, boundsHeight, farthest);
    }

    private List<Integer> halfCovered(List<Integer> core, byte[] luma, int backgroundLuma) {
        int[] coreContrast = new int[core.size()];
        for (int j = 0; j < core.size(); j++) {
            coreContrast[j] = contrast(luma, core.get(j), backgroundLuma);
        }
        double cutoff = HALF_COVERAGE * ToyBlobDetector.median(coreContrast);
        List<Integer> kept = new ArrayList<>();
        for (int pixel : pixels) {
            if (contrast(luma, pixel, backgroundLuma) >= cutoff) {
                kept.add(pixel);
            }
        }
        return kept;
    }

    private static int contrast(byte[] luma, int pixel, int backgroundLuma) {
        return Math.abs((luma[pixel] & 0xff) - backgroundLuma);
    }

    private static ToyColor color(byte[] rgb, List<Integer> core) {
        double[] colour = new double[3];
        int[] channel = new int[core.size()];
        for (int k = 0; k < 3; k++) {
            for (int j = 0; j < core.size(); j++) {
                channel[j] = rgb[core.get(j) * 3 + k] & 0xff;
            }
            colour[k] = ToyBlobDetector.median(channel) / 255.0;
        }
        return ToyColorClassifier.classify(colour[0], colour[1], colour[2]);
    }
}

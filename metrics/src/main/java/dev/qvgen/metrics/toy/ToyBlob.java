package dev.qvgen.metrics.toy;

import dev.qvgen.suites.toy.ToyColor;
import dev.qvgen.suites.toy.ToyShape;

/**
 * One connected foreground region of a frame. The centroid uses the toy world's continuous
 * coordinates (pixel (c, r) covers [c, c+1) x [r, r+1)), so it compares directly with ground
 * truth. {@code color} is null when the region's colour is near no palette colour;
 * {@code farthest} is the distance from the centroid to the farthest pixel centre.
 */
public record ToyBlob(ToyColor color, ToyShape shape, int area, double centroidX, double centroidY,
                      int boundsWidth, int boundsHeight, double farthest) {

    public boolean hasColor(ToyColor wanted) {
        return color == wanted;
    }
}

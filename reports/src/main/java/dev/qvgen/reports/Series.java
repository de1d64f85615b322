package dev.qvgen.reports;

import java.util.List;
import java.util.Objects;

/**
 * A named curve for a line chart, e.g. training loss or gradient norm against step.
 *
 * @param points (x, y) pairs in drawing order; a non-finite y leaves a gap in the line
 */
public record Series(String name, List<double[]> points) {
    public Series {
        Objects.requireNonNull(name, "name");
        // Copied so a caller reusing its arrays cannot change a chart after the fact.
        points = points.stream().map(p -> {
            if (p.length != 2) {
                throw new IllegalArgumentException("series '" + name + "': a point needs 2 values, got " + p.length);
            }
            return p.clone();
        }).toList();
    }
}

package dev.qvgen.suites.toy;

import java.util.Objects;

/**
 * One moving object. {@code startX}/{@code startY} are the centre in pixels at frame 0
 * (x = column, y = row, continuous coordinates where pixel (c, r) covers [c, c+1) x [r, r+1));
 * both are NaN when only the attributes are known, e.g. after parsing a caption.
 */
public record ToyObject(ToyColor color, ToyShape shape, ToyDirection direction, ToySpeed speed,
                        double startX, double startY) {

    public ToyObject {
        Objects.requireNonNull(color, "color");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(speed, "speed");
        if (Double.isNaN(startX) != Double.isNaN(startY)) {
            throw new IllegalArgumentException("start position must be fully given or fully NaN: ("
                    + startX + ", " + startY + ")");
        }
    }

    /** An object whose start position is not yet chosen. */
    public static ToyObject unplaced(ToyColor color, ToyShape shape, ToyDirection direction, ToySpeed speed) {
        return new ToyObject(color, shape, direction, speed, Double.NaN, Double.NaN);
    }

    public boolean isPlaced() {
        return !Double.isNaN(startX);
    }

    public ToyObject placedAt(double x, double y) {
        return new ToyObject(color, shape, direction, speed, x, y);
    }

    public ToyObject unplaced() {
        return unplaced(color, shape, direction, speed);
    }

    /** Centre column at the given frame (frame 0 is the start). */
    public double centreX(int frame) {
        return startX + direction.dx() * speed.pixelsPerFrame() * frame;
    }

    /** Centre row at the given frame (frame 0 is the start). */
    public double centreY(int frame) {
        return startY + direction.dy() * speed.pixelsPerFrame() * frame;
    }

    /** The caption phrase, e.g. "a red circle moves left slowly". */
    public String phrase() {
        return "a " + color.word() + " " + shape.word() + " moves " + direction.word() + " " + speed.word();
    }
}

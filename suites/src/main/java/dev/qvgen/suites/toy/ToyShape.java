package dev.qvgen.suites.toy;

import java.util.Locale;

/**
 * The filled shapes of the toy world, described relative to the object's centre
 * (image coordinates, y grows downwards). All three have roughly the area of a
 * disc of radius 5 px so that size never gives the shape away.
 */
public enum ToyShape {
    CIRCLE {
        @Override
        public boolean contains(double dx, double dy) {
            return dx * dx + dy * dy <= RADIUS * RADIUS;
        }
    },
    SQUARE {
        @Override
        public boolean contains(double dx, double dy) {
            return Math.abs(dx) <= SQUARE_HALF_SIDE && Math.abs(dy) <= SQUARE_HALF_SIDE;
        }
    },
    /**
     * Isosceles, apex up, base 12 px and height 12 px (area 72 px²); its centre is the
     * centroid, so the centre lies inside it. Not equilateral: an equilateral triangle of that
     * area is 13 px wide and a quick horizontal mover would no longer fit in a 32 px frame.
     */
    TRIANGLE {
        @Override
        public boolean contains(double dx, double dy) {
            double fromApex = dy + 2 * TRIANGLE_HEIGHT / 3;
            if (fromApex < 0 || dy > TRIANGLE_HEIGHT / 3) {
                return false;
            }
            return Math.abs(dx) <= fromApex * (TRIANGLE_BASE / 2) / TRIANGLE_HEIGHT;
        }
    };

    /** Circle radius in pixels: the "size" of every object. */
    public static final double RADIUS = 5.0;
    /** Half the square side (side 9.5 px, area close to the circle's). */
    public static final double SQUARE_HALF_SIDE = 4.75;
    /** Triangle base width in pixels. */
    public static final double TRIANGLE_BASE = 12.0;
    /** Triangle height in pixels (area 72 px², close to the circle's 78.5 px²). */
    public static final double TRIANGLE_HEIGHT = 12.0;

    /** Whether the point at offset (dx, dy) from the centre lies inside the shape. */
    public abstract boolean contains(double dx, double dy);

    /** Distance from the centre to the leftmost (and, by symmetry, rightmost) point. */
    public double halfWidth() {
        return switch (this) {
            case CIRCLE -> RADIUS;
            case SQUARE -> SQUARE_HALF_SIDE;
            case TRIANGLE -> TRIANGLE_BASE / 2;
        };
    }

    /** Distance from the centre up to the topmost point. */
    public double extentUp() {
        return switch (this) {
            case CIRCLE -> RADIUS;
            case SQUARE -> SQUARE_HALF_SIDE;
            case TRIANGLE -> 2 * TRIANGLE_HEIGHT / 3;
        };
    }

    /** Distance from the centre down to the lowest point. */
    public double extentDown() {
        return switch (this) {
            case CIRCLE -> RADIUS;
            case SQUARE -> SQUARE_HALF_SIDE;
            case TRIANGLE -> TRIANGLE_HEIGHT / 3;
        };
    }

    /** The word used for this shape in captions. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ToyShape fromWord(String word) {
        return ToyWords.lookup(ToyShape.class, "shape", word);
    }
}

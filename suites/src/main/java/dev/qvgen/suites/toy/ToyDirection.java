package dev.qvgen.suites.toy;

import java.util.Locale;

/** Directions of motion in image coordinates: up means decreasing row index. */
public enum ToyDirection {
    LEFT(-1, 0),
    RIGHT(1, 0),
    UP(0, -1),
    DOWN(0, 1);

    private final int dx;
    private final int dy;

    ToyDirection(int dx, int dy) {
        this.dx = dx;
        this.dy = dy;
    }

    /** Unit step along x (columns): -1, 0 or 1. */
    public int dx() {
        return dx;
    }

    /** Unit step along y (rows): -1, 0 or 1. */
    public int dy() {
        return dy;
    }

    /** The word used for this direction in captions. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ToyDirection fromWord(String word) {
        return ToyWords.lookup(ToyDirection.class, "direction", word);
    }
}

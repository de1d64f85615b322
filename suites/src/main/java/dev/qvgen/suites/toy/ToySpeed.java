package dev.qvgen.suites.toy;

import java.util.Locale;

/** How fast an object moves, as the caption adverb and its pixel displacement per frame. */
public enum ToySpeed {
    SLOWLY(1.25),
    QUICKLY(2.5);

    private final double pixelsPerFrame;

    ToySpeed(double pixelsPerFrame) {
        this.pixelsPerFrame = pixelsPerFrame;
    }

    public double pixelsPerFrame() {
        return pixelsPerFrame;
    }

    /** The word used for this speed in captions. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ToySpeed fromWord(String word) {
        return ToyWords.lookup(ToySpeed.class, "speed", word);
    }
}

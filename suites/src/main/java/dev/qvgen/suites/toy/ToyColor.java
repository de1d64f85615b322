package dev.qvgen.suites.toy;

import java.util.Locale;

/** The colours of the toy world, with the RGB value (in [0,1]) each one is rendered with. */
public enum ToyColor {
    RED(1f, 0.1f, 0.1f),
    GREEN(0.1f, 0.9f, 0.1f),
    BLUE(0.15f, 0.3f, 1f),
    YELLOW(1f, 0.95f, 0.1f),
    CYAN(0.1f, 0.95f, 0.95f),
    MAGENTA(1f, 0.15f, 1f);

    private final float red;
    private final float green;
    private final float blue;

    ToyColor(float red, float green, float blue) {
        this.red = red;
        this.green = green;
        this.blue = blue;
    }

    /** The word used for this colour in captions. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** A fresh {r, g, b} array; a copy so callers cannot repaint the palette. */
    public float[] rgb() {
        return new float[] {red, green, blue};
    }

    public static ToyColor fromWord(String word) {
        return ToyWords.lookup(ToyColor.class, "colour", word);
    }
}

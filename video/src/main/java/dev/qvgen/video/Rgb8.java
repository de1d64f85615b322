package dev.qvgen.video;

/**
 * Conversion between [0,1] float channels and 8-bit samples. Writing and in-memory scoring
 * share it so a clip scored from memory sees the same 8-bit values the encoder was given.
 */
public final class Rgb8 {
    private Rgb8() {
    }

    /**
     * Rounds a [0,1] value to 0..255, clamping out-of-range values.
     *
     * @throws IllegalArgumentException for NaN: a broken generator must not pass as a black frame
     */
    public static int quantize(float value) {
        if (Float.isNaN(value)) {
            throw new IllegalArgumentException("pixel value is NaN");
        }
        float clamped = Math.max(0f, Math.min(1f, value));
        return Math.round(clamped * 255f);
    }

    public static float toUnit(int sample) {
        return sample / 255f;
    }
}

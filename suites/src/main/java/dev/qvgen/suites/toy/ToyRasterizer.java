package dev.qvgen.suites.toy;

/**
 * Pixel coverage of a shape by regular supersampling. A fixed 4x4 grid (rather than random
 * jitter) keeps edges smooth yet bit-for-bit reproducible.
 */
final class ToyRasterizer {
    static final int SAMPLES_PER_AXIS = 4;
    private static final int SAMPLES = SAMPLES_PER_AXIS * SAMPLES_PER_AXIS;

    private ToyRasterizer() {
    }

    /** Fraction in [0,1] of pixel (col, row) covered by {@code shape} centred at (cx, cy). */
    static double coverage(ToyShape shape, double cx, double cy, int col, int row) {
        int inside = 0;
        for (int j = 0; j < SAMPLES_PER_AXIS; j++) {
            double y = row + (j + 0.5) / SAMPLES_PER_AXIS;
            for (int i = 0; i < SAMPLES_PER_AXIS; i++) {
                double x = col + (i + 0.5) / SAMPLES_PER_AXIS;
                if (shape.contains(x - cx, y - cy)) {
                    inside++;
                }
            }
        }
        return (double) inside / SAMPLES;
    }

    /** Pixel window {colMin, colMax, rowMin, rowMax} (inclusive, clipped) that can be touched. */
    static int[] window(ToyShape shape, double cx, double cy, int width, int height) {
        int colMin = Math.max(0, (int) Math.floor(cx - shape.halfWidth()));
        int colMax = Math.min(width - 1, (int) Math.floor(cx + shape.halfWidth()));
        int rowMin = Math.max(0, (int) Math.floor(cy - shape.extentUp()));
        int rowMax = Math.min(height - 1, (int) Math.floor(cy + shape.extentDown()));
        return new int[] {colMin, colMax, rowMin, rowMax};
    }
}

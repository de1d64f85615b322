package dev.qvgen.metrics.backbone;

/**
 * {@code torch.nn.functional.interpolate} for bilinear and bicubic modes with
 * {@code align_corners=False, antialias=False}, on float planes laid out (C, H, W), written out
 * so that the metric preprocessing does not depend on an engine's resize.
 *
 * <p>Follows ATen's CPU kernel (UpSampleKernel.cpp): the scale is {@code in/out} computed in
 * float (or {@code 1/scale_factor} when a scale factor is given, as DINO's position-embedding
 * interpolation does), the source coordinate is {@code scale*(dst+0.5)-0.5} (clamped at 0 for
 * bilinear only), bicubic uses Keys' kernel with A = -0.75 and clamps the four taps to the
 * border, and the height taps are the outer sum. Arithmetic is float like ATen's float path.
 */
public final class TorchResize {
    static final float CUBIC_A = -0.75f;

    private TorchResize() {}

    /** Bilinear resize of (C, H, W) to (C, outH, outW). */
    public static float[] bilinear(float[] src, int channels, int h, int w, int outH, int outW) {
        Taps rows = linearTaps(h, outH, (float) h / outH);
        Taps cols = linearTaps(w, outW, (float) w / outW);
        return apply(src, channels, h, w, rows, cols);
    }

    /** Bicubic resize of (C, H, W) to (C, outH, outW), scale from the sizes. */
    public static float[] bicubic(float[] src, int channels, int h, int w, int outH, int outW) {
        return bicubicScaled(src, channels, h, w, outH, outW, (float) h / outH, (float) w / outW);
    }

    /**
     * Bicubic resize with explicit source-per-destination scales, as ATen uses when
     * {@code interpolate} is called with {@code scale_factor} (scale = (float)(1 / scale_factor)).
     */
    public static float[] bicubicScaled(float[] src, int channels, int h, int w, int outH, int outW,
            float scaleH, float scaleW) {
        return apply(src, channels, h, w, cubicTaps(h, outH, scaleH), cubicTaps(w, outW, scaleW));
    }

    /** Source indices and weights of each output position along one axis. */
    record Taps(int size, int[] index, float[] weight) {
        int count() {
            return index.length / size;
        }
    }

    static Taps linearTaps(int in, int out, float scale) {
        int[] index = new int[out * 2];
        float[] weight = new float[out * 2];
        for (int i = 0; i < out; i++) {
            float real = Math.max(scale * (i + 0.5f) - 0.5f, 0f);
            int i0 = (int) real;
            float l1 = Math.min(Math.max(real - i0, 0f), 1f);
            index[2 * i] = i0;
            index[2 * i + 1] = i0 < in - 1 ? i0 + 1 : i0;
            weight[2 * i] = 1f - l1;
            weight[2 * i + 1] = l1;
        }
        return new Taps(out, index, weight);
    }

    static Taps cubicTaps(int in, int out, float scale) {
        int[] index = new int[out * 4];
        float[] weight = new float[out * 4];
        for (int i = 0; i < out; i++) {
            float real = scale * (i + 0.5f) - 0.5f;
            int i0 = (int) Math.floor(real);
            float t = real - i0;
            weight[4 * i] = cubic2(t + 1f);
            weight[4 * i + 1] = cubic1(t);
            weight[4 * i + 2] = cubic1(1f - t);
            weight[4 * i + 3] = cubic2(2f - t);
            for (int j = 0; j < 4; j++) {
                index[4 * i + j] = Math.min(Math.max(i0 - 1 + j, 0), in - 1);
            }
        }
        return new Taps(out, index, weight);
    }

    private static float cubic1(float x) {
        return ((CUBIC_A + 2f) * x - (CUBIC_A + 3f)) * x * x + 1f;
    }

    private static float cubic2(float x) {
        return ((CUBIC_A * x - 5f * CUBIC_A) * x + 8f * CUBIC_A) * x - 4f * CUBIC_A;
    }

    private static float[] apply(float[] src, int channels, int h, int w, Taps rows, Taps cols) {
        if (src.length != channels * h * w) {
            throw new IllegalArgumentException("plane has " + src.length + " values, expected " + channels * h * w);
        }
        int outH = rows.size();
        int outW = cols.size();
        int nr = rows.count();
        int nc = cols.count();
        float[] out = new float[channels * outH * outW];
        for (int c = 0; c < channels; c++) {
            int base = c * h * w;
            for (int y = 0; y < outH; y++) {
                for (int x = 0; x < outW; x++) {
                    float acc = 0f;
                    for (int j = 0; j < nr; j++) {
                        int row = base + rows.index()[y * nr + j] * w;
                        float t = 0f;
                        for (int k = 0; k < nc; k++) {
                            t += src[row + cols.index()[x * nc + k]] * cols.weight()[x * nc + k];
                        }
                        acc += t * rows.weight()[y * nr + j];
                    }
                    out[(c * outH + y) * outW + x] = acc;
                }
            }
        }
        return out;
    }
}

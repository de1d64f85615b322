package dev.qvgen.harness.data;

/**
 * torchvision's {@code resize} of a float image with {@code antialias=True} (its default since
 * 0.17; the official scripts pin 0.21): a separable filter whose support widens by the scale factor
 * when shrinking, weights normalised per output pixel, width first and then height, as PyTorch's
 * {@code _upsample_bilinear2d_aa} / {@code _upsample_bicubic2d_aa}. Values are not clamped (the
 * official code resizes float frames in [0, 255]). Weights are computed in double and applied in
 * float, so results agree with PyTorch to float rounding, not bit for bit.
 */
public final class FrameResizer {
    /** The interpolation filter. */
    public enum Filter {
        /** Triangle, support 1 (torchvision's default BILINEAR). */
        BILINEAR(1.0) {
            @Override
            double weight(double x) {
                x = Math.abs(x);
                return x < 1.0 ? 1.0 - x : 0.0;
            }
        },
        /** Keys cubic with a = -0.5, support 2 (PyTorch's antialiased BICUBIC, as PIL). */
        BICUBIC(2.0) {
            @Override
            double weight(double x) {
                final double a = -0.5;
                x = Math.abs(x);
                if (x < 1.0) {
                    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
                }
                if (x < 2.0) {
                    return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
                }
                return 0.0;
            }
        };

        private final double support;

        Filter(double support) {
            this.support = support;
        }

        abstract double weight(double x);
    }

    private FrameResizer() {}

    /**
     * Resizes planar channels.
     *
     * @param src {@code channels} planes of {@code h x w}, row-major
     * @return {@code channels} planes of {@code outH x outW}
     */
    public static float[] resize(float[] src, int channels, int h, int w, int outH, int outW, Filter filter) {
        if (h == outH && w == outW) {
            return src.clone();
        }
        Taps cols = taps(w, outW, filter);
        Taps rows = taps(h, outH, filter);
        float[] tmp = new float[channels * h * outW];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < h; y++) {
                int in = (c * h + y) * w;
                int out = (c * h + y) * outW;
                for (int x = 0; x < outW; x++) {
                    tmp[out + x] = cols.apply(src, in, 1, x);
                }
            }
        }
        float[] dst = new float[channels * outH * outW];
        for (int c = 0; c < channels; c++) {
            int plane = c * h * outW;
            for (int y = 0; y < outH; y++) {
                int out = (c * outH + y) * outW;
                for (int x = 0; x < outW; x++) {
                    dst[out + x] = rows.apply(tmp, plane + x, outW, y);
                }
            }
        }
        return dst;
    }

    /** Crops planar channels to the window at (top, left). */
    public static float[] crop(float[] src, int channels, int h, int w, int top, int left, int outH, int outW) {
        float[] dst = new float[channels * outH * outW];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < outH; y++) {
                System.arraycopy(src, (c * h + top + y) * w + left, dst, (c * outH + y) * outW, outW);
            }
        }
        return dst;
    }

    /** For each output index: the first input index and the normalised weights. */
    private record Taps(int[] first, float[][] weights) {
        float apply(float[] data, int base, int step, int o) {
            float[] wt = weights[o];
            int at = base + first[o] * step;
            float acc = 0f;
            for (int k = 0; k < wt.length; k++) {
                acc += wt[k] * data[at + k * step];
            }
            return acc;
        }
    }

    private static Taps taps(int in, int out, Filter f) {
        double scale = (double) in / out;
        double support = scale >= 1.0 ? f.support * scale : f.support;
        double invScale = scale >= 1.0 ? 1.0 / scale : 1.0;
        int[] first = new int[out];
        float[][] weights = new float[out][];
        for (int i = 0; i < out; i++) {
            double center = scale * (i + 0.5);
            int min = Math.max((int) (center - support + 0.5), 0);
            int size = Math.min((int) (center + support + 0.5), in) - min;
            double[] wd = new double[size];
            double total = 0;
            for (int j = 0; j < size; j++) {
                wd[j] = f.weight((j + min - center + 0.5) * invScale);
                total += wd[j];
            }
            float[] wf = new float[size];
            for (int j = 0; j < size; j++) {
                wf[j] = (float) (total != 0 ? wd[j] / total : 0);
            }
            first[i] = min;
            weights[i] = wf;
        }
        return new Taps(first, weights);
    }
}

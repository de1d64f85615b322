package dev.qvgen.metrics.backbone;

/**
 * Pillow's {@code Image.resize(size, BICUBIC)} for 8-bit RGB (libImaging/Resample.c): a
 * separable, antialiased bicubic (a = -0.5) whose support widens with the downscale factor,
 * weights in 22-bit fixed point, horizontal pass first, each pass rounded and clamped to 0..255.
 * VBench's {@code clip_transform_Image} (appearance_style) resizes PIL images this way.
 */
public final class PilResize {
    static final int PRECISION_BITS = 32 - 8 - 2;

    private PilResize() {}

    /** Resizes packed RGB24 (h, w) to (outH, outW). */
    public static byte[] bicubic(byte[] rgb, int h, int w, int outH, int outW) {
        if (outH == h && outW == w) {
            return rgb.clone();
        }
        byte[] tmp = rgb;
        int tw = w;
        if (outW != w) {
            tmp = pass(rgb, h, w, outW, true);
            tw = outW;
        }
        if (outH != h) {
            tmp = pass(tmp, h, tw, outH, false);
        }
        return tmp;
    }

    private record Coeffs(int[] min, int[] size, int[] k, int ksize) {
    }

    static double filter(double x) {
        final double a = -0.5;
        x = Math.abs(x);
        if (x < 1.0) {
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * a;
        }
        return 0.0;
    }

    static Coeffs coeffs(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterscale = Math.max(scale, 1.0);
        double support = 2.0 * filterscale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] mins = new int[outSize];
        int[] sizes = new int[outSize];
        int[] k = new int[outSize * ksize];
        double[] pre = new double[ksize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterscale;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) {
                xmin = 0;
            }
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) {
                xmax = inSize;
            }
            xmax -= xmin;
            double ww = 0.0;
            for (int x = 0; x < xmax; x++) {
                double wgt = filter((x + xmin - center + 0.5) * ss);
                pre[x] = wgt;
                ww += wgt;
            }
            for (int x = 0; x < xmax; x++) {
                double v = ww != 0.0 ? pre[x] / ww : pre[x];
                k[xx * ksize + x] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS))
                        : (int) (0.5 + v * (1 << PRECISION_BITS));
            }
            mins[xx] = xmin;
            sizes[xx] = xmax;
        }
        return new Coeffs(mins, sizes, k, ksize);
    }

    private static int clip8(long in) {
        long v = in >> PRECISION_BITS;
        return (int) Math.max(0, Math.min(255, v));
    }

    private static byte[] pass(byte[] src, int h, int w, int outSize, boolean horizontal) {
        Coeffs c = coeffs(horizontal ? w : h, outSize);
        int oh = horizontal ? h : outSize;
        int ow = horizontal ? outSize : w;
        byte[] out = new byte[oh * ow * 3];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                int o = horizontal ? x : y;
                int min = c.min()[o];
                int n = c.size()[o];
                for (int ch = 0; ch < 3; ch++) {
                    long ss = 1L << (PRECISION_BITS - 1);
                    for (int i = 0; i < n; i++) {
                        int sy = horizontal ? y : min + i;
                        int sx = horizontal ? min + i : x;
                        ss += (long) (src[(sy * w + sx) * 3 + ch] & 0xff) * c.k()[o * c.ksize() + i];
                    }
                    out[(y * ow + x) * 3 + ch] = (byte) clip8(ss);
                }
            }
        }
        return out;
    }
}

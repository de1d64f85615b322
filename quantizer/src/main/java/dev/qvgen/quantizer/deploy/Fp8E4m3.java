package dev.qvgen.quantizer.deploy;

/**
 * The FP8 e4m3 format of Hopper's tensor cores ({@code torch.float8_e4m3fn}): 1 sign, 4 exponent
 * (bias 7), 3 mantissa bits, no infinities, {@code 0x7F}/{@code 0xFF} NaN, largest finite 448.
 * Every integer in [-16, 16] is exact, which is why W4A4 and W3A3 codes can run as FP8 GEMMs.
 * Conversion rounds to nearest even and, like c10's, turns magnitudes from 480 up into NaN.
 */
public final class Fp8E4m3 {
    private static final double MIN_NORMAL = 0x1p-6;
    private static final double SUBNORMAL_STEP = 0x1p-9;

    private Fp8E4m3() {}

    public static byte encode(float f) {
        int sign = (Float.floatToRawIntBits(f) >>> 31) << 7;
        double a = Math.abs((double) f);
        if (Double.isNaN(a) || a >= 480) {
            return (byte) (sign | 0x7F);
        }
        if (a < MIN_NORMAL) {
            // subnormal: multiples of 2^-9; a result of 8 steps is the smallest normal, same bits
            return (byte) (sign | (int) Math.rint(a / SUBNORMAL_STEP));
        }
        int e = Math.getExponent(a);
        int m = (int) Math.rint((a / Math.scalb(1.0, e) - 1) * 8);
        if (m == 8) {
            e++;
            m = 0;
        }
        int biased = e + 7;
        if (biased > 15 || (biased == 15 && m == 7)) {
            return (byte) (sign | 0x7F);
        }
        return (byte) (sign | biased << 3 | m);
    }

    public static float decode(byte b) {
        int s = (b >> 7) & 1;
        int e = (b >> 3) & 15;
        int m = b & 7;
        if (e == 15 && m == 7) {
            return Float.NaN;
        }
        double v = e == 0 ? m * SUBNORMAL_STEP : (1 + m / 8.0) * Math.scalb(1.0, e - 7);
        return (float) (s == 1 ? -v : v);
    }

    /** Whether {@code v} converts to FP8 and back unchanged. */
    public static boolean exact(float v) {
        return decode(encode(v)) == v || (v == 0 && decode(encode(v)) == 0);
    }
}

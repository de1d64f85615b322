package dev.qvgen.quantizer.deploy;

import java.util.Locale;

/**
 * A quantized linear layer's weight as the GPU's low-bit GEMMs take it: integer codes
 * {@code e = q - o} (one byte each, FP8 e4m3 or int8), an integer offset {@code o} and the
 * fractional zero point {@code f = z - o} per output channel, so that the deployed weight
 * {@code s (q - z)} is {@code s (e - f)} exactly.
 *
 * <p>The offset is the rounded zero point where that keeps every code of the row within the code
 * type's exact range (FP8: [-16, 16]; int8: [-128, 127]), else the middle code {@code 2^(b-1)}.
 * RTN's symmetric weights (stored as {@code q = code + 2^(b-1)} with that zero point) get
 * {@code e = code, f = 0}; LSQ+'s learnt real zero points leave a small {@code f}, which the GPU
 * path applies as a rank-1 term {@code -(s_x sum_k x_k) (s f)} beside the low-bit GEMM (together
 * with the activation's own rank-1 term, {@link #correction()}).
 *
 * <p>Packed 4-bit (0.5 byte per weight) is BitPacking's 4-bit layout of {@code q} with the same
 * offsets; it serves weights of up to 4 bits.
 */
public final class LowBitLayout {
    /** The code type of the GEMM. */
    public enum Codes {
        /** FP8 e4m3 codes for {@code torch._scaled_mm}: integers in [-16, 16] are exact; W up to 5 bits, A up to 4. */
        FP8(-16, 16, 5, 4),
        /** int8 codes for {@code torch._int_mm}: up to 8 bits. */
        INT8(-128, 127, 8, 8);

        private final int min;
        private final int max;
        private final int maxWeightBits;
        private final int maxActivationBits;

        Codes(int min, int max, int maxWeightBits, int maxActivationBits) {
            this.min = min;
            this.max = max;
            this.maxWeightBits = maxWeightBits;
            this.maxActivationBits = maxActivationBits;
        }

        /** The largest code the type holds: activation codes {@code q - z} with z in [0, 2^b - 1] fit while 2^b - 1 does not exceed it. */
        public int holdsUpTo() {
            return max;
        }

        /** Whether a code value is exact in this type. */
        public boolean holds(int code) {
            return code >= min && code <= max;
        }

        /** Whether every {@code wXaY} layer's codes are exact in this type (the qvgen_lowbit kernel's rule for activations). */
        public boolean holds(int weightBits, int activationBits) {
            return weightBits <= maxWeightBits && activationBits <= maxActivationBits;
        }

        public static Codes parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown code type '" + s + "' (expected fp8 or int8)");
            }
        }
    }

    private final int out;
    private final int in;
    private final int bits;
    private final Codes codes;
    private final byte[] e;
    private final int[] offset;
    private final float[] scale;
    private final float[] frac;
    private final long[] rowSum;

    private LowBitLayout(int out, int in, int bits, Codes codes, byte[] e, int[] offset, float[] scale, float[] frac,
            long[] rowSum) {
        this.out = out;
        this.in = in;
        this.bits = bits;
        this.codes = codes;
        this.e = e;
        this.offset = offset;
        this.scale = scale;
        this.frac = frac;
        this.rowSum = rowSum;
    }

    /** The layout of a packed layer; fails with a clear message if its codes do not fit {@code codes}. */
    public static LowBitLayout of(PackedLinear p, Codes codes) {
        int[] q = p.codes();
        int out = p.out();
        int in = p.in();
        byte[] e = new byte[q.length];
        int[] offset = new int[out];
        float[] frac = new float[out];
        long[] rowSum = new long[out];
        for (int r = 0; r < out; r++) {
            float z = p.zero()[r];
            int o = (int) Math.rint(z);
            if (!fits(q, r, in, o, codes)) {
                o = 1 << (p.bits() - 1);
                if (!fits(q, r, in, o, codes)) {
                    throw new IllegalArgumentException(String.format(Locale.ROOT,
                            "%s codes cannot hold %d-bit weights exactly (row %d)", codes, p.bits(), r));
                }
            }
            offset[r] = o;
            frac[r] = z - o;
            long sum = 0;
            for (int c = 0; c < in; c++) {
                int v = q[r * in + c] - o;
                e[r * in + c] = (byte) v;
                sum += v;
            }
            rowSum[r] = sum;
        }
        return new LowBitLayout(out, in, p.bits(), codes, e, offset, p.scale().clone(), frac, rowSum);
    }

    private static boolean fits(int[] q, int r, int in, int o, Codes codes) {
        for (int c = 0; c < in; c++) {
            if (!codes.holds(q[r * in + c] - o)) {
                return false;
            }
        }
        return true;
    }

    /** The codes e (out, in) row-major, one signed byte each. */
    public byte[] int8Codes() {
        return e.clone();
    }

    /** The codes e as FP8 e4m3 bytes (for {@link Codes#FP8}). */
    public byte[] fp8Bytes() {
        byte[] b = new byte[e.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = Fp8E4m3.encode(e[i]);
        }
        return b;
    }

    /** Rebuilds the unsigned codes {@code q = e + o} from FP8 bytes and offsets (the CPU reader's way back). */
    public static int[] codesFromFp8(byte[] fp8, int out, int in, int[] offset) {
        int[] q = new int[out * in];
        for (int r = 0; r < out; r++) {
            for (int c = 0; c < in; c++) {
                float v = Fp8E4m3.decode(fp8[r * in + c]);
                if (v != Math.rint(v) || Float.isNaN(v)) {
                    throw new IllegalArgumentException("FP8 weight code " + v + " at (" + r + ", " + c
                            + ") is not an integer");
                }
                q[r * in + c] = (int) v + offset[r];
            }
        }
        return q;
    }

    /** BitPacking's 4-bit layout of {@code q = e + o}: 0.5 byte per weight, for weights of up to 4 bits. */
    public byte[] packed4() {
        if (bits > 4) {
            throw new IllegalArgumentException("packed 4-bit holds weights of up to 4 bits, not " + bits);
        }
        int[] q = new int[e.length];
        for (int r = 0; r < out; r++) {
            for (int c = 0; c < in; c++) {
                q[r * in + c] = e[r * in + c] + offset[r];
            }
        }
        return BitPacking.pack(q, out, in, 4);
    }

    /**
     * The weight side {@code v} (2, out) of the rank-2 correction {@code y += u v}: row 0
     * {@code s * sum_k e}, row 1 {@code s * f}. The activation side u (tokens, 2) is
     * {@code [s_x d, -s_x (sum_k c + K d)]} for activation codes c with per-token rest d.
     */
    public float[] correction() {
        float[] v = new float[2 * out];
        for (int r = 0; r < out; r++) {
            v[r] = (float) (scale[r] * (double) rowSum[r]);
            v[out + r] = scale[r] * frac[r];
        }
        return v;
    }

    public boolean hasFraction() {
        for (float f : frac) {
            if (f != 0) {
                return true;
            }
        }
        return false;
    }

    /** Device bytes of the weight: codes (1 or 0.5 byte each), a float32 scale and an int32 offset per channel, and f where used. */
    public long deviceBytes(boolean packed) {
        long codeBytes = packed ? (long) out * BitPacking.bytesPerRow(in, 4) : (long) out * in;
        return codeBytes + 8L * out + (hasFraction() ? 4L * out : 0);
    }

    public int out() {
        return out;
    }

    public int in() {
        return in;
    }

    public int bits() {
        return bits;
    }

    public Codes codes() {
        return codes;
    }

    public int[] offset() {
        return offset.clone();
    }

    public float[] scale() {
        return scale.clone();
    }

    public float[] frac() {
        return frac.clone();
    }
}

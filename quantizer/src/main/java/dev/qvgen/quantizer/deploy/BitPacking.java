package dev.qvgen.quantizer.deploy;

/**
 * Packs unsigned integer codes of 2..8 bits into bytes, row by row, as a little-endian bit stream
 * (code {@code k} of a row occupies bits {@code [k*b, (k+1)*b)} of the row's bytes). Int4 puts
 * two codes in a byte, int3 eight codes in three bytes; each row starts on a byte boundary so a
 * row (an output channel) can be unpacked alone.
 */
public final class BitPacking {
    private BitPacking() {}

    public static int bytesPerRow(int cols, int bits) {
        return (cols * bits + 7) / 8;
    }

    /** @param codes row-major (rows, cols), each in [0, 2^bits) */
    public static byte[] pack(int[] codes, int rows, int cols, int bits) {
        check(bits);
        if (codes.length != rows * cols) {
            throw new IllegalArgumentException("expected " + rows * cols + " codes, got " + codes.length);
        }
        int rowBytes = bytesPerRow(cols, bits);
        byte[] out = new byte[rows * rowBytes];
        int max = (1 << bits) - 1;
        for (int r = 0; r < rows; r++) {
            long bitPos = (long) r * rowBytes * 8;
            for (int c = 0; c < cols; c++) {
                int v = codes[r * cols + c];
                if (v < 0 || v > max) {
                    throw new IllegalArgumentException("code " + v + " at (" + r + ", " + c + ") does not fit in "
                            + bits + " bits");
                }
                for (int k = 0; k < bits; k++, bitPos++) {
                    if ((v >>> k & 1) != 0) {
                        out[(int) (bitPos >>> 3)] |= (byte) (1 << (bitPos & 7));
                    }
                }
            }
        }
        return out;
    }

    public static int[] unpack(byte[] packed, int rows, int cols, int bits) {
        check(bits);
        int rowBytes = bytesPerRow(cols, bits);
        if (packed.length != rows * rowBytes) {
            throw new IllegalArgumentException("expected " + rows * rowBytes + " packed bytes for " + rows + "x" + cols
                    + " int" + bits + ", got " + packed.length);
        }
        int[] out = new int[rows * cols];
        for (int r = 0; r < rows; r++) {
            long bitPos = (long) r * rowBytes * 8;
            for (int c = 0; c < cols; c++) {
                int v = 0;
                for (int k = 0; k < bits; k++, bitPos++) {
                    v |= ((packed[(int) (bitPos >>> 3)] >>> (bitPos & 7)) & 1) << k;
                }
                out[r * cols + c] = v;
            }
        }
        return out;
    }

    private static void check(int bits) {
        if (bits < 2 || bits > 8) {
            throw new IllegalArgumentException("packing supports 2..8 bits, got " + bits);
        }
    }
}

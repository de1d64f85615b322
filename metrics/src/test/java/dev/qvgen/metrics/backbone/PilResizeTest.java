package dev.qvgen.metrics.backbone;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PilResizeTest {
    static byte[] row(int... values) {
        byte[] out = new byte[values.length * 3];
        for (int i = 0; i < values.length; i++) {
            for (int c = 0; c < 3; c++) {
                out[i * 3 + c] = (byte) values[i];
            }
        }
        return out;
    }

    @Test
    void antialiasedDownscaleByHand() {
        // 4 -> 2: support 2*2 = 4 source pixels; for output 0 (centre 1.0) the a=-0.5 weights at
        // -0.25, 0.25, 0.75, 1.25 are .8671875, .8671875, .2265625, -.0703125 (sum 1.890625), so
        // 255 * (.2265625 - .0703125) / 1.890625 = 21.07 -> 21, and by symmetry 234
        byte[] out = PilResize.bicubic(row(0, 0, 255, 255), 1, 4, 1, 2);
        assertEquals(21, out[0] & 0xff);
        assertEquals(234, out[3] & 0xff);
    }

    @Test
    void constantsStayAndSameSizeIsACopy() {
        byte[] flat = new byte[5 * 7 * 3];
        java.util.Arrays.fill(flat, (byte) 200);
        for (byte b : PilResize.bicubic(flat, 5, 7, 3, 11)) {
            assertEquals(200, b & 0xff);
        }
        byte[] img = row(1, 2, 3, 4);
        assertArrayEquals(img, PilResize.bicubic(img, 1, 4, 1, 4));
    }
}

package dev.qvgen.quantizer.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class Fp8E4m3Test {
    @Test
    void knownCodes() {
        assertEquals(0x38, Fp8E4m3.encode(1f) & 0xFF);
        assertEquals(0x58, Fp8E4m3.encode(16f) & 0xFF);
        assertEquals(0xC4, Fp8E4m3.encode(-3f) & 0xFF);
        assertEquals(0x7E, Fp8E4m3.encode(448f) & 0xFF, "largest finite");
        assertEquals(0x01, Fp8E4m3.encode(0x1p-9f) & 0xFF, "smallest subnormal");
        assertEquals(0x7F, Fp8E4m3.encode(480f) & 0xFF, "480 and up become NaN, as in c10");
        assertEquals(0x7E, Fp8E4m3.encode(464f) & 0xFF, "halfway to 480 rounds to even (448)");
        assertEquals(16f, Fp8E4m3.decode(Fp8E4m3.encode(17f)), "17 is halfway between 16 and 18: to even");
        assertEquals(20f, Fp8E4m3.decode(Fp8E4m3.encode(19f)), "19 halfway between 18 and 20: to even mantissa");
        assertTrue(Float.isNaN(Fp8E4m3.decode((byte) 0x7F)));
    }

    @Test
    void everyIntegerCodeOfFourBitLayersIsExact() {
        for (int v = -16; v <= 16; v++) {
            assertTrue(Fp8E4m3.exact(v), "code " + v);
            assertEquals(v, Fp8E4m3.decode(Fp8E4m3.encode(v)));
        }
        assertFalse(Fp8E4m3.exact(17f));
        assertFalse(Fp8E4m3.exact(-33f));
    }

    @Test
    void everyFiniteByteDecodesAndEncodesBack() {
        for (int b = 0; b < 256; b++) {
            float v = Fp8E4m3.decode((byte) b);
            if (Float.isNaN(v)) {
                assertEquals(0x7F, b & 0x7F);
                continue;
            }
            int back = Fp8E4m3.encode(v) & 0xFF;
            // +0 and -0 keep their sign bit
            assertEquals(b, back, "byte " + b + " -> " + v);
        }
    }
}

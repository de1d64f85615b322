package dev.qvgen.quantizer.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

class BitPackingTest {
    @Test
    void int4PutsTwoCodesInAByteLowNibbleFirst() {
        byte[] p = BitPacking.pack(new int[] {0x3, 0xA, 0xF}, 1, 3, 4);
        assertArrayEquals(new byte[] {(byte) 0xA3, 0x0F}, p);
    }

    @Test
    void int3PutsEightCodesInThreeBytes() {
        int[] codes = {1, 2, 3, 4, 5, 6, 7, 0};
        byte[] p = BitPacking.pack(codes, 1, 8, 3);
        assertEquals(3, p.length);
        // bits (LSB first): 001 010 110 001 101 011 111 000
        assertArrayEquals(new byte[] {(byte) 0b11010001, (byte) 0b01011000, (byte) 0b00011111}, p);
        assertArrayEquals(codes, BitPacking.unpack(p, 1, 8, 3));
    }

    @Test
    void everyWidthRoundTripsWithRowsOnByteBoundaries() {
        SplittableRandom r = new SplittableRandom(1);
        for (int bits = 2; bits <= 8; bits++) {
            int rows = 5;
            int cols = 13;
            int[] codes = new int[rows * cols];
            for (int i = 0; i < codes.length; i++) {
                codes[i] = r.nextInt(1 << bits);
            }
            byte[] p = BitPacking.pack(codes, rows, cols, bits);
            assertEquals(rows * ((cols * bits + 7) / 8), p.length, bits + " bits");
            assertArrayEquals(codes, BitPacking.unpack(p, rows, cols, bits), bits + " bits");
        }
    }

    @Test
    void rejectsCodesThatDoNotFit() {
        assertThrows(IllegalArgumentException.class, () -> BitPacking.pack(new int[] {8}, 1, 1, 3));
        assertThrows(IllegalArgumentException.class, () -> BitPacking.pack(new int[] {1}, 1, 1, 9));
        assertThrows(IllegalArgumentException.class, () -> BitPacking.unpack(new byte[3], 1, 8, 4));
    }
}

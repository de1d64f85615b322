package dev.qvgen.quantizer.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.Rtn;
import dev.qvgen.quantizer.RtnLinearKernel;
import dev.qvgen.quantizer.TinyNet;
import dev.qvgen.quantizer.UniformQuantizer;
import dev.qvgen.quantizer.qat.QatLayers;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

/** The deployable low-bit layout against the fake quantizers it stands for, code by code. */
class LowBitLayoutTest {
    static Linear randomLinear(NDManager m, int out, int in, long seed) {
        Linear l = new Linear(in, out, true);
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian() * 0.05f * (i % in == 3 ? 8 : 1);
        }
        float[] b = new float[out];
        for (int i = 0; i < out; i++) {
            b[i] = (float) r.nextGaussian() * 0.1f;
        }
        l.namedParameters().get("weight").setArray(m.create(w, new Shape(out, in)));
        l.namedParameters().get("bias").setArray(m.create(b, new Shape(out)));
        return l;
    }

    /** Codes of the layout (decoded from its stored bytes) that differ from the fake quantizer's, as unsigned codes q. */
    static int mismatches(byte[] stored, LowBitLayout l, int[] expected) {
        int[] q = l.codes() == LowBitLayout.Codes.FP8 ? LowBitLayout.codesFromFp8(stored, l.out(), l.in(), l.offset())
                : null;
        int bad = 0;
        for (int r = 0; r < l.out(); r++) {
            for (int c = 0; c < l.in(); c++) {
                int i = r * l.in() + c;
                int got = q != null ? q[i] : stored[i] + l.offset()[r];
                if (got != expected[i]) {
                    bad++;
                }
            }
        }
        return bad;
    }

    @Test
    void rtnLayoutHoldsTheFakeQuantizersCodesAndWeightsBitForBit() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (QuantSpec spec : new QuantSpec[] {QuantSpec.W4A4, QuantSpec.W3A3, QuantSpec.W8A8}) {
                Linear l = randomLinear(m, 24, 40, spec.weightBits());
                LowBitLayout.Codes type = spec.weightBits() <= 4 ? LowBitLayout.Codes.FP8 : LowBitLayout.Codes.INT8;
                LowBitLayout layout = LowBitLayout.of(Rtn.pack(l, spec), type);
                NDArray step = UniformQuantizer.weightScale(l.weight(), spec.weightBits());
                float[] fakeCodes = UniformQuantizer.weightCodes(l.weight(), step, spec.weightBits()).toFloatArray();
                int offset = 1 << (spec.weightBits() - 1);
                int[] expected = new int[fakeCodes.length];
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = (int) fakeCodes[i] + offset;
                }
                byte[] stored = type == LowBitLayout.Codes.FP8 ? layout.fp8Bytes() : layout.int8Codes();
                assertEquals(0, mismatches(stored, layout, expected), spec.label() + " codes");
                // one corrupted code is found: the check can fail
                stored[17] = type == LowBitLayout.Codes.FP8 ? Fp8E4m3.encode(Fp8E4m3.decode(stored[17]) + 1)
                        : (byte) (stored[17] + 1);
                assertEquals(1, mismatches(stored, layout, expected), spec.label() + " corrupted code");
                // the dequantized weight s (e - f) is the fake-quantized weight, bit for bit
                float[] fake = new RtnLinearKernel(l, spec).quantizedWeight().toFloatArray();
                assertEquals(0, differingBits(dequantized(layout), fake), spec.label() + " weights");
                assertTrue(!layout.hasFraction(), "RTN's zero point is integral");
            }
        }
    }

    @Test
    void lsqLayoutKeepsTheFractionalZeroPointAndTheFakeWeightBitForBit() {
        try (NDManager m = NDManager.newBaseManager()) {
            TinyNet net = new TinyNet(m, 5);
            QatLayers layers = QatLayers.install(net, QuantSpec.W4A4, LayerSelection.insideBlocks(java.util.List.of("blocks.")), 4, 8, m);
            layers.kernels().values().forEach(k -> k.removePhi());
            for (var e : layers.layers().entrySet()) {
                PackedLinear p = layers.kernels().get(e.getKey()).pack(e.getValue());
                LowBitLayout layout = LowBitLayout.of(p, LowBitLayout.Codes.FP8);
                assertEquals(0, mismatches(layout.fp8Bytes(), layout, p.codes()), e.getKey());
                assertTrue(layout.hasFraction(), "LSQ+ learns real zero points");
                float[] fake = new float[p.out() * p.in()];
                int[] q = p.codes();
                for (int r = 0; r < p.out(); r++) {
                    for (int c = 0; c < p.in(); c++) {
                        fake[r * p.in() + c] = (q[r * p.in() + c] - p.zero()[r]) * p.scale()[r];
                    }
                }
                assertEquals(0, differingBits(dequantized(layout), fake), e.getKey());
            }
        }
    }

    @Test
    void fp8RefusesCodesItCannotHold() {
        try (NDManager m = NDManager.newBaseManager()) {
            PackedLinear w8 = Rtn.pack(randomLinear(m, 4, 16, 1), QuantSpec.W8A8);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LowBitLayout.of(w8, LowBitLayout.Codes.FP8));
            assertTrue(e.getMessage().contains("8-bit"), e.getMessage());
            assertTrue(LowBitLayout.Codes.FP8.holds(4, 4) && LowBitLayout.Codes.FP8.holds(3, 3));
            assertTrue(!LowBitLayout.Codes.FP8.holds(8, 8) && LowBitLayout.Codes.INT8.holds(8, 8));
        }
    }

    @Test
    void packedFourBitIsBitPackingsLayoutOfTheCodes() {
        try (NDManager m = NDManager.newBaseManager()) {
            PackedLinear p = Rtn.pack(randomLinear(m, 6, 10, 2), QuantSpec.W4A4);
            LowBitLayout l = LowBitLayout.of(p, LowBitLayout.Codes.FP8);
            assertEquals(java.util.Arrays.toString(p.packed()), java.util.Arrays.toString(l.packed4()),
                    "4-bit RTN: the GPU's packed layout is the export's");
            assertEquals(6 * 5 + 8 * 6, l.deviceBytes(true));
            assertEquals(6 * 10 + 8 * 6, l.deviceBytes(false));
        }
    }

    static float[] dequantized(LowBitLayout l) {
        byte[] e = l.int8Codes();
        float[] w = new float[e.length];
        for (int r = 0; r < l.out(); r++) {
            for (int c = 0; c < l.in(); c++) {
                w[r * l.in() + c] = ((float) e[r * l.in() + c] - l.frac()[r]) * l.scale()[r];
            }
        }
        return w;
    }

    /** Elements whose float values differ (+0 and -0 count as equal: the fake quantizer keeps the sign of a rounded-away weight). */
    static int differingBits(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        int bad = 0;
        for (int i = 0; i < a.length; i++) {
            if (!(a[i] == b[i])) {
                bad++;
            }
        }
        return bad;
    }
}

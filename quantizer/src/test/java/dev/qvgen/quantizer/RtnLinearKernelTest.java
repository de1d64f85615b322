package dev.qvgen.quantizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.Precision;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

/**
 * The simulated RTN kernel holds int8 codes and steps, not a fake-quantized copy of the weight
 * (issue 14: the simulated model must not hold more than bf16's memory); its weight and output are
 * the fake-quantized ones bit for bit, and the dense weight is kept, freed or parked as asked.
 */
class RtnLinearKernelTest {
    private static final class OneLayer extends Module {
        final Linear proj;

        OneLayer(NDManager m, int out, int in, long seed) {
            proj = child("proj", new Linear(in, out, true));
            SplittableRandom r = new SplittableRandom(seed);
            float[] w = new float[out * in];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (r.nextGaussian() * (i % 7 == 0 ? 0.3 : 0.05));
            }
            float[] b = new float[out];
            for (int i = 0; i < out; i++) {
                b[i] = (float) r.nextGaussian() * 0.1f;
            }
            proj.namedParameters().get("weight").setArray(m.create(w, new Shape(out, in)));
            proj.namedParameters().get("bias").setArray(m.create(b, new Shape(out)));
        }
    }

    private static NDArray input(NDManager m, int in) {
        SplittableRandom r = new SplittableRandom(5);
        float[] x = new float[9 * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return m.create(x, new Shape(1, 9, in));
    }

    private static float[] plusZero(float[] a) {
        float[] b = a.clone();
        for (int i = 0; i < b.length; i++) {
            b[i] += 0.0f;
        }
        return b;
    }

    @Test
    void heldCodesGiveTheFakeQuantizedWeightAndOutputBitForBit() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (boolean bf16 : new boolean[] {false, true}) {
                for (QuantSpec spec : new QuantSpec[] {QuantSpec.W4A4, QuantSpec.W3A3, QuantSpec.W8A8}) {
                    OneLayer t = new OneLayer(m, 24, 40, 3);
                    if (bf16) {
                        Precision.cast(t, DataType.BFLOAT16, ai.djl.Device.cpu());
                    }
                    Linear l = t.proj;
                    NDArray w = l.weight();
                    NDArray x = Precision.like(input(m, 40), w);
                    float[] fake = UniformQuantizer.weightPerChannel(w, spec.weightBits()).toType(DataType.FLOAT32, false)
                            .toFloatArray();
                    float[] expected = l.dense(UniformQuantizer.activationPerToken(x, spec.activationBits()),
                            UniformQuantizer.weightPerChannel(w, spec.weightBits())).toType(DataType.FLOAT32, false)
                            .toFloatArray();
                    try (RtnLinearKernel k = new RtnLinearKernel(l, spec)) {
                        String what = spec.label() + (bf16 ? " bf16" : " f32");
                        // int8 has no -0: a weight rounded to -0 comes back +0, the same number in any product
                        assertArrayEquals(plusZero(fake), k.quantizedWeight().toType(DataType.FLOAT32, false).toFloatArray(),
                                what);
                        assertArrayEquals(expected, k.apply(l, x).toType(DataType.FLOAT32, false).toFloatArray(), what);
                        // int8 codes plus one step per channel: half of bf16's bytes, a quarter of float32's
                        assertEquals(24 * 40 + 24L * (bf16 ? 2 : 4), k.deviceBytes(), what);
                    }
                }
            }
        }
    }

    @Test
    void denseWeightIsKeptFreedOrParkedAsAsked() {
        try (NDManager m = NDManager.newBaseManager()) {
            OneLayer keep = new OneLayer(m, 8, 16, 1);
            new Rtn().apply(keep, QuantSpec.W4A4, p -> true, DenseWeight.KEEP);
            assertTrue(keep.proj.hasWeight());

            OneLayer free = new OneLayer(m, 8, 16, 1);
            NDArray x = input(m, 16);
            float[] before = keep.proj.forward(x).toFloatArray();
            new Rtn().apply(free, QuantSpec.W4A4, p -> true, DenseWeight.FREE);
            assertFalse(free.proj.hasWeight());
            assertArrayEquals(before, free.proj.forward(x).toFloatArray(), "runs on its codes alone");

            OneLayer park = new OneLayer(m, 8, 16, 1);
            float[] dense = park.proj.weight().toFloatArray();
            new Rtn().apply(park, QuantSpec.W4A4, p -> true, DenseWeight.PARK);
            assertFalse(park.proj.hasWeight());
            assertArrayEquals(before, park.proj.forward(x).toFloatArray());
            Rtn.restore(park);
            assertTrue(park.proj.hasWeight());
            assertArrayEquals(dense, park.proj.weight().toFloatArray(), "the dense weight is back");
        }
    }
}

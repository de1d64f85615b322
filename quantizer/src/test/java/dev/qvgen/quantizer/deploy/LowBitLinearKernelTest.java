package dev.qvgen.quantizer.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Precision;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.Rtn;
import dev.qvgen.quantizer.RtnLinearKernel;
import dev.qvgen.quantizer.TinyNet;
import dev.qvgen.quantizer.qat.QatLayers;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

/** The real low-bit kernel's CPU emulation against the simulated (fake-quantized) path. */
class LowBitLinearKernelTest {
    /** Tokens of mixed sign and, in the first rows, tokens whose range excludes zero. */
    static NDArray activations(NDManager m, int tokens, int in, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[tokens * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian() * (i % in < 2 ? 12 : 1);
            if (i / in < 3) {
                x[i] = Math.abs(x[i]) + 2;
            }
        }
        return m.create(x, new Shape(1, tokens, in));
    }

    static double rel(float[] a, float[] b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            num += (a[i] - (double) b[i]) * (a[i] - (double) b[i]);
            den += (double) b[i] * b[i];
        }
        return Math.sqrt(num / den);
    }

    @Test
    void rtnRealKernelMatchesTheSimulatedLayer() {
        try (NDManager m = NDManager.newBaseManager()) {
            Object[][] cases = {{QuantSpec.W4A4, LowBitLayout.Codes.FP8, false}, {QuantSpec.W4A4, LowBitLayout.Codes.FP8,
                true}, {QuantSpec.W3A3, LowBitLayout.Codes.FP8, false}, {QuantSpec.W8A8, LowBitLayout.Codes.INT8, false},
                {QuantSpec.W4A4, LowBitLayout.Codes.INT8, false}};
            for (Object[] c : cases) {
                QuantSpec spec = (QuantSpec) c[0];
                LowBitLayout.Codes codes = (LowBitLayout.Codes) c[1];
                boolean packed = (boolean) c[2];
                Linear l = LowBitLayoutTest.randomLinear(m, 48, 64, 7);
                NDArray x = activations(m, 40, 64, 3);
                float[] simulated;
                try (RtnLinearKernel sim = new RtnLinearKernel(l, spec)) {
                    simulated = sim.apply(l, x).toFloatArray();
                }
                String what = spec.label() + " " + codes + (packed ? " packed" : "");
                try (LowBitLinearKernel real = LowBitLinearKernel.rtn(l, spec, codes, packed, m)) {
                    assertTrue(real.corrects(), "the dynamic quantizer's zero point can leave [0, L]");
                    float[] got = real.apply(l, x).toFloatArray();
                    double err = rel(got, simulated);
                    assertTrue(err < 1e-6, what + ": relative error " + err);
                    assertEquals((packed ? 48 * 32 : 48 * 64) + 8 * 48, real.deviceBytes(), what);
                }
            }
        }
    }

    @Test
    void withoutTheCorrectionTokensWhoseRangeExcludesZeroWouldBeWrong() {
        try (NDManager m = NDManager.newBaseManager()) {
            Linear l = LowBitLayoutTest.randomLinear(m, 16, 32, 9);
            NDArray x = activations(m, 6, 32, 5);
            LowBitLayout layout = LowBitLayout.of(Rtn.pack(l, QuantSpec.W4A4), LowBitLayout.Codes.FP8);
            float[] simulated = new RtnLinearKernel(l, QuantSpec.W4A4).apply(l, x).toFloatArray();
            try (LowBitLinearKernel exact = LowBitLinearKernel.of(layout, 4, false, false, m);
                    LowBitLinearKernel assumed = LowBitLinearKernel.of(layout, 4, false, true, m)) {
                assertTrue(rel(exact.apply(l, x).toFloatArray(), simulated) < 1e-6);
                assertTrue(!assumed.corrects());
                assertTrue(rel(assumed.apply(l, x).toFloatArray(), simulated) > 1e-2,
                        "a clamped zero point is only right where every token's range holds 0");
            }
        }
    }

    @Test
    void lsqWeightsWithRealZeroPointsMatchTheDeployedSimulation() {
        try (NDManager m = NDManager.newBaseManager()) {
            TinyNet net = new TinyNet(m, 6);
            QatLayers layers = QatLayers.install(net, QuantSpec.W4A4, LayerSelection.insideBlocks(java.util.List.of("blocks.")), 4, 8, m);
            layers.kernels().values().forEach(k -> k.removePhi());
            Linear fc2 = net.fc2;
            PackedLinear p = layers.kernels().get("blocks.0.fc2").pack(fc2);
            PackedLinear dynamic = new PackedLinear(p.out(), p.in(), p.bits(), p.packed(), p.scale(), p.zero(),
                    PackedLinear.ActivationSpec.dynamic(4), null, null, null, 0);
            NDArray x = activations(m, 12, 16, 8);
            try (DeployedLinearKernel sim = new DeployedLinearKernel(dynamic, m);
                    LowBitLinearKernel real = LowBitLinearKernel.of(LowBitLayout.of(dynamic, LowBitLayout.Codes.FP8), 4,
                            false, false, m)) {
                double err = rel(real.apply(fc2, x).toFloatArray(), sim.apply(fc2, x).toFloatArray());
                assertTrue(err < 1e-6, "relative error " + err);
            }
        }
    }

    @Test
    void settingsTheCodesCannotHoldAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LowBitLinearKernel.check(QuantSpec.W8A8, LowBitLayout.Codes.FP8, false));
        assertTrue(e.getMessage().contains("w8a8"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> LowBitLinearKernel.check(QuantSpec.W4A4, LowBitLayout.Codes.INT8, true));
    }

    /** Arrays live in {@code m} (and its sub-managers) with {@code shape}. */
    private static long liveWithShape(NDManager m, Shape shape) {
        return m.getManagedArrays().stream().filter(a -> a.getShape().equals(shape)).count();
    }

    @Test
    void installedKernelFreesTheDenseWeightAndNothingElseHoldsIt() {
        try (NDManager model = NDManager.newBaseManager(); NDManager kernels = NDManager.newBaseManager()) {
            Linear l = LowBitLayoutTest.randomLinear(model, 48, 64, 7);
            NDArray x = activations(kernels, 40, 64, 3);
            Shape dense = new Shape(48, 64);
            int before = model.getManagedArrays().size();
            assertEquals(1, liveWithShape(model, dense));
            LowBitLinearKernel k = LowBitLinearKernel.rtn(l, QuantSpec.W4A4, LowBitLayout.Codes.FP8, false, kernels);
            assertEquals(before, model.getManagedArrays().size(), "computing the codes leaves no temporary in the "
                    + "model's manager");
            l.setKernel(k);
            float[] withWeight = l.forward(x).toFloatArray();
            k.install(l, dev.qvgen.quantizer.DenseWeight.FREE);
            assertFalse(l.hasWeight(), "the layer holds no dense weight");
            assertEquals(0, liveWithShape(model, dense), "no handle on the dense weight is left");
            assertEquals(before - 1, model.getManagedArrays().size(), "only the dense weight went");
            assertArrayEquals(withWeight, l.forward(x).toFloatArray(), "the layer runs on the codes alone");
            k.close();
        }
    }

    @Test
    void deviceCodesLeaveNoTemporaryInTheModelsManager() {
        // the CUDA path's code computation, run on the CPU: before, |w|, w / step and its rounding
        // stayed in the weight's manager (about three dense copies per layer on the device)
        try (NDManager model = NDManager.newBaseManager(); NDManager kernels = NDManager.newBaseManager()) {
            Linear l = LowBitLayoutTest.randomLinear(model, 48, 64, 5);
            float[] simulated;
            try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
                simulated = dev.qvgen.quantizer.UniformQuantizer.weightPerChannel(l.weight(), 4).toFloatArray();
            }
            int before = model.getManagedArrays().size();
            for (boolean packed : new boolean[] {false, true}) {
                NDArray[] made = LowBitLinearKernel.deviceCodes(l.weight(), 4, packed, kernels);
                assertEquals(before, model.getManagedArrays().size(), "packed " + packed);
                assertEquals(new Shape(48, packed ? 32 : 64), made[2].getShape());
                if (!packed) {
                    // codes times steps are the fake-quantized weight
                    NDArray w = made[2].toType(DataType.FLOAT32, false).mul(made[0].transpose());
                    assertArrayEquals(simulated, w.toFloatArray(), 1e-7f);
                }
            }
        }
    }

    @Test
    void parkedDenseWeightComesBackOnRestore() {
        try (NDManager model = NDManager.newBaseManager(); NDManager kernels = NDManager.newBaseManager()) {
            for (boolean bf16 : new boolean[] {false, true}) {
                TinyLayer t = new TinyLayer(LowBitLayoutTest.randomLinear(model, 48, 64, 11));
                if (bf16) {
                    Precision.cast(t, DataType.BFLOAT16, ai.djl.Device.cpu());
                }
                Linear l = t.linear;
                float[] w = l.weight().toType(DataType.FLOAT32, false).toFloatArray();
                LowBitLinearKernel.rtn(l, QuantSpec.W4A4, LowBitLayout.Codes.FP8, true, kernels)
                        .install(l, dev.qvgen.quantizer.DenseWeight.PARK);
                assertFalse(l.hasWeight());
                Rtn.restore(t); // closes the kernel, which puts the weight back
                assertTrue(l.hasWeight());
                assertEquals(bf16, Precision.isBf16(l.weight()), "in its type");
                assertArrayEquals(w, l.weight().toType(DataType.FLOAT32, false).toFloatArray(), "the same values");
            }
        }
    }

    /** A module around one linear layer, for Rtn.restore and Precision.cast. */
    private static final class TinyLayer extends dev.qvgen.layers.nn.Module {
        final Linear linear;

        TinyLayer(Linear l) {
            linear = child("proj", l);
        }
    }
}

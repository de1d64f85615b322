package dev.qvgen.quantizer.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.quantizer.QuantSpec;

import org.junit.jupiter.api.Test;

/** Linears reading one input quantize it once (q, k, v) and give what they give alone. */
class SharedActivationCodesTest {
    @Test
    void siblingsQuantizeTheirCommonInputOnceAndGiveTheSameOutputs() {
        try (NDManager m = NDManager.newBaseManager()) {
            Linear[] layers = {LowBitLayoutTest.randomLinear(m, 48, 64, 7), LowBitLayoutTest.randomLinear(m, 32, 64, 8),
                LowBitLayoutTest.randomLinear(m, 48, 64, 9)};
            NDArray x = LowBitLinearKernelTest.activations(m, 40, 64, 3);
            NDArray other = LowBitLinearKernelTest.activations(m, 40, 64, 4);
            SharedActivationCodes group = new SharedActivationCodes();
            for (Linear l : layers) {
                float[] alone;
                float[] aloneOther;
                try (LowBitLinearKernel k = LowBitLinearKernel.rtn(l, QuantSpec.W4A4, LowBitLayout.Codes.FP8, false, m)) {
                    alone = k.apply(l, x).toFloatArray();
                    aloneOther = k.apply(l, other).toFloatArray();
                }
                LowBitLinearKernel k = LowBitLinearKernel.rtn(l, QuantSpec.W4A4, LowBitLayout.Codes.FP8, false, m)
                        .shareActivationCodes(group);
                l.setKernel(k);
                // each layer in its own scope, as the models run q, k and v: the codes must outlive it
                float[] shared = Scopes.forward(l, x);
                assertArrayEquals(alone, shared, l + ": shared codes change the output");
                assertArrayEquals(aloneOther, Scopes.forward(l, other), "another input must be quantized anew");
                assertArrayEquals(alone, Scopes.forward(l, x), "back to the first input");
            }
            // x, other, x per layer: the next layer's first x follows the last layer's x, so 3 + 2 + 2
            assertEquals(7, group.quantized());
            assertEquals(2, group.reused());
            Scopes.forward(layers[0], other);
            for (Linear l : layers) {
                Scopes.forward(l, x);
            }
            assertEquals(9, group.quantized(), "three layers reading x in a row quantize it once");
            assertEquals(4, group.reused());
            // a different width of codes is another key
            LowBitLinearKernel w3 = LowBitLinearKernel.rtn(layers[0], QuantSpec.W3A3, LowBitLayout.Codes.FP8, false, m)
                    .shareActivationCodes(group);
            layers[0].setKernel(w3);
            Scopes.forward(layers[0], x);
            assertEquals(10, group.quantized());
            // the key is the array, not its values: a copy of x is quantized anew
            NDArray y = x.duplicate();
            Scopes.forward(layers[0], y);
            assertEquals(11, group.quantized());
            group.clear();
            Scopes.forward(layers[0], x);
            assertEquals(12, group.quantized(), "after clear the codes are made again");
        }
    }

    @Test
    void heldCodesAreClosedWhenReplacedSoAtMostOneInputIsKept() {
        try (NDManager m = NDManager.newBaseManager()) {
            Linear l = LowBitLayoutTest.randomLinear(m, 16, 32, 5);
            SharedActivationCodes group = new SharedActivationCodes();
            LowBitLinearKernel k = LowBitLinearKernel.rtn(l, QuantSpec.W4A4, LowBitLayout.Codes.FP8, false, m)
                    .shareActivationCodes(group);
            l.setKernel(k);
            NDArray a = LowBitLinearKernelTest.activations(m, 8, 32, 1);
            NDArray b = LowBitLinearKernelTest.activations(m, 8, 32, 2);
            Scopes.forward(l, a);
            int afterOne = m.getManagedArrays().size();
            for (int i = 0; i < 5; i++) {
                Scopes.forward(l, i % 2 == 0 ? b : a);
            }
            assertEquals(afterOne, m.getManagedArrays().size(), "codes of replaced inputs must be closed");
            k.close();
            assertTrue(m.getManagedArrays().size() < afterOne, "closing the kernel frees the held codes");
        }
    }

    @Test
    void thePropertyTurnsSharingOffForTheABAndOnlyFalseDoes() {
        String before = System.getProperty(SharedActivationCodes.PROPERTY);
        try {
            System.clearProperty(SharedActivationCodes.PROPERTY);
            assertTrue(SharedActivationCodes.groupIfEnabled() != null, "on by default");
            System.setProperty(SharedActivationCodes.PROPERTY, "false");
            assertEquals(null, SharedActivationCodes.groupIfEnabled());
            System.setProperty(SharedActivationCodes.PROPERTY, "true");
            assertTrue(SharedActivationCodes.enabled());
        } finally {
            if (before == null) {
                System.clearProperty(SharedActivationCodes.PROPERTY);
            } else {
                System.setProperty(SharedActivationCodes.PROPERTY, before);
            }
        }
    }

    /** One layer's forward in a scope of its own, as the models run each projection. */
    private static final class Scopes {
        static float[] forward(Linear l, NDArray x) {
            try (NDScope s = new NDScope()) {
                return l.forward(x).toFloatArray();
            }
        }
    }
}

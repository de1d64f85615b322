package dev.qvgen.layers.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import org.junit.jupiter.api.Test;

/** bfloat16 products under {@link Autocast}: float32 in and out, gradients reach float32 leaves. */
class AutocastTest {
    @Test
    void linearAndAttentionRunInBf16AndPassFloat32Gradients() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(3);
            NDArray x = m.randomNormal(new Shape(2, 5, 16));
            NDArray w = m.randomNormal(new Shape(8, 16));
            NDArray b = m.randomNormal(new Shape(8));
            NDArray exact = Linear.product(x, w, b);
            x.setRequiresGradient(true);
            w.setRequiresGradient(true);
            b.setRequiresGradient(true);
            NDArray y;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                try (var on = Autocast.bf16()) {
                    y = Linear.product(x, w, b);
                    NDArray q = y.reshape(2, 1, 5, 8);
                    NDArray att = Attention.scaledDotProduct(q, q, q);
                    assertEquals(DataType.FLOAT32, att.getDataType());
                    gc.backward(att.sum().add(y.square().sum()));
                }
            }
            assertEquals(DataType.FLOAT32, y.getDataType());
            double err = Tensors.relativeL2(y.stopGradient(), exact);
            assertTrue(err > 1e-5 && err < 2e-2, "bf16 product off the float32 one by " + err);
            for (NDArray p : new NDArray[] {x, w, b}) {
                NDArray g = p.getGradient();
                assertEquals(DataType.FLOAT32, g.getDataType());
                assertTrue(g.abs().sum().getFloat() > 0, "no gradient");
            }
            // outside a scope nothing changes
            assertEquals(0.0, Tensors.relativeL2(Linear.product(x.stopGradient(), w.stopGradient(), b.stopGradient()),
                    exact), 0.0);
        }
    }
}

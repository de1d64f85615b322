package dev.qvgen.layers.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

/** The fused TorchScript ops equal their DJL spellings, values and gradients, and can be switched off. */
class ScriptedOpTest {

    @Test
    void everyModuleLoadsOnCpu() {
        for (ScriptedOp op : ScriptedOp.values()) {
            assertNull(op.unavailableReason(), op.name());
        }
    }

    @Test
    void geluTanhEqualsItsFormulaWithGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(3);
            NDArray x = m.randomNormal(new Shape(4, 7, 33)).mul(3f);
            NDArray[] fused = run(x, Activations::geluTanh);
            NDArray[] ops = run(x, Activations::geluTanhOps);
            assertClose(fused, ops, 1e-6);
        }
    }

    @Test
    void rmsNormEqualsItsFormulaWithGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(4);
            RmsNorm norm = new RmsNorm(33, 1e-6f);
            NDArray w = m.randomNormal(new Shape(33));
            norm.namedParameters().get("weight").setArray(w);
            NDArray x = m.randomNormal(new Shape(4, 7, 33));
            NDArray[] fused = run(x, norm::forward);
            NDArray[] ops = run(x, t -> RmsNorm.forwardOps(t, w, 1e-6f));
            assertClose(fused, ops, 1e-6);
        }
    }

    @Test
    void halfInputsRoundOnceFromFloat32() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(5);
            NDArray xh = m.randomNormal(new Shape(64, 64)).mul(4f).toType(DataType.FLOAT16, false);
            NDArray exact = Activations.geluTanhOps(xh.toType(DataType.FLOAT32, false));
            NDArray half = Activations.geluTanh(xh);
            assertEquals(DataType.FLOAT16, half.getDataType());
            // one rounding of the float32 result: within half an fp16 ulp (at most 2^-11 relative);
            // the absolute floor covers GELU's far negative tail (about -1.5e-7 at x = -5.1), where
            // float32 tanh already reaches -1 and the kernel returns -0
            NDArray err = half.toType(DataType.FLOAT32, false).sub(exact).abs();
            NDArray bound = exact.abs().mul(Math.pow(2, -11)).add(1e-6f);
            assertTrue(err.lte(bound).all().getBoolean(), "max err " + err.max().getFloat());
        }
    }

    @Test
    void switchedOffByProperty() {
        String before = System.getProperty("qvgen.scripted");
        System.setProperty("qvgen.scripted", "false");
        try {
            assertFalse(ScriptedOp.GELU_TANH.available());
            assertNotNull(ScriptedOp.GELU_TANH.unavailableReason());
            // attention keeps its own switch (qvgen.attention)
            assertTrue(ScriptedOp.SDPA.available());
        } finally {
            if (before == null) {
                System.clearProperty("qvgen.scripted");
            } else {
                System.setProperty("qvgen.scripted", before);
            }
        }
    }

    private static void assertClose(NDArray[] a, NDArray[] b, double tol) {
        for (int i = 0; i < a.length; i++) {
            double e = Tensors.relativeL2(a[i], b[i]);
            assertTrue(e < tol, "output " + i + " rel_l2 " + e);
        }
    }

    /** Output and the gradient of sum(out * w) with respect to the input. */
    private static NDArray[] run(NDArray x0, UnaryOperator<NDArray> op) {
        NDArray x = x0.duplicate();
        x.setRequiresGradient(true);
        NDArray out;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            out = op.apply(x);
            NDArray w = out.getManager().arange((float) out.size()).reshape(out.getShape()).sin();
            gc.backward(out.mul(w).sum());
        }
        return new NDArray[] {out.stopGradient(), x.getGradient()};
    }
}

package dev.qvgen.layers.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import org.junit.jupiter.api.Test;

/** The fused (TorchScript SDPA) and chunked attention paths equal the plain one, values and gradients. */
class AttentionTest {

    @Test
    void fusedModuleLoadsOnCpu() {
        assertNull(Attention.fusedUnavailableReason());
        assertEquals(Attention.Mode.FUSED, Attention.mode());
    }

    @Test
    void fusedAndChunkedEqualPlainWithGradients() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(7);
            // Lq != Lk (cross-attention shape) and a key length that is not a multiple of the chunk.
            NDArray q = m.randomNormal(new Shape(2, 3, 37, 16));
            NDArray k = m.randomNormal(new Shape(2, 3, 29, 16));
            NDArray v = m.randomNormal(new Shape(2, 3, 29, 16));
            NDArray[] plain = run(q, k, v, x -> Attention.scaledDotProduct(x[0], x[1], x[2], Attention.Mode.PLAIN));
            NDArray[] fused = run(q, k, v, x -> Attention.scaledDotProduct(x[0], x[1], x[2], Attention.Mode.FUSED));
            // 2*3*29 = 174 score entries per query row: 1000 entries -> chunks of 5 rows (8 chunks, last 2 rows)
            NDArray[] chunked = run(q, k, v, x -> Attention.chunked(x[0], x[1], x[2], 1000));
            for (int i = 0; i < 4; i++) {
                double ef = Tensors.relativeL2(fused[i], plain[i]);
                double ec = Tensors.relativeL2(chunked[i], plain[i]);
                assertTrue(ef < 1e-5, "fused " + i + " rel_l2 " + ef);
                assertTrue(ec < 1e-6, "chunked " + i + " rel_l2 " + ec);
            }
            assertEquals(plain[0].getShape(), fused[0].getShape());
            assertEquals(plain[0].getShape(), chunked[0].getShape());
        }
    }

    @Test
    void chunkedKeepsEachScoreBlockUnderTheLimit() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray q = m.randomNormal(new Shape(1, 2, 64, 8));
            // one row per chunk (limit below one row's 2*64 scores) still gives the plain result
            double e = Tensors.relativeL2(Attention.chunked(q, q, q, 1), Attention.scaledDotProduct(q, q, q,
                    Attention.Mode.PLAIN));
            assertTrue(e < 1e-6, "rel_l2 " + e);
        }
    }

    private interface Op {
        NDArray apply(NDArray[] qkv);
    }

    /** Output, then the gradients of sum(out * w) with respect to q, k and v. */
    private static NDArray[] run(NDArray q0, NDArray k0, NDArray v0, Op op) {
        NDArray q = q0.duplicate();
        NDArray k = k0.duplicate();
        NDArray v = v0.duplicate();
        q.setRequiresGradient(true);
        k.setRequiresGradient(true);
        v.setRequiresGradient(true);
        NDArray out;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            out = op.apply(new NDArray[] {q, k, v});
            NDArray w = out.getManager().arange((float) out.size()).reshape(out.getShape()).sin();
            gc.backward(out.mul(w).sum());
        }
        return new NDArray[] {out.stopGradient(), q.getGradient(), k.getGradient(), v.getGradient()};
    }
}

package dev.qvgen.layers.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import org.junit.jupiter.api.Test;

/** Releasing and refilling an array's tensor in place, as weight sharding does between uses. */
class ArrayStorageTest {
    @Test
    void releasedArrayHoldsNothingAndRefilledOneTrainsAsBefore() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3)).duplicate();
            w.setRequiresGradient(true);
            java.util.List<NDArray> holders = java.util.List.of(w); // e.g. an optimizer's group
            assertEquals(24, ArrayStorage.bytes(w));

            ArrayStorage.release(w);
            assertEquals(new Shape(0), w.getShape(), "the shape is read from the new tensor");
            assertEquals(0, ArrayStorage.bytes(holders.get(0)));
            assertTrue(w.hasGradient(), "still asks for a gradient");
            assertFalse(w.isReleased(), "the array object stays open");

            NDArray full = m.create(new float[] {6, 5, 4, 3, 2, 1}, new Shape(2, 3)).duplicate();
            ArrayStorage.adopt(w, full);
            assertTrue(full.isReleased(), "the source is closed");
            assertSame(w, holders.get(0));
            assertEquals(new Shape(2, 3), w.getShape());
            assertArrayEquals(new float[] {6, 5, 4, 3, 2, 1}, w.toFloatArray());

            // autograd sees the refilled tensor: d/dw sum(w * x) = x
            NDArray x = m.create(new float[] {1, 0, 2, 0, 3, 0}, new Shape(2, 3));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(w.mul(x).sum());
            }
            assertArrayEquals(x.toFloatArray(), w.getGradient().toFloatArray());
            // an in-place update (what the optimizer does) reaches the same tensor
            w.subi(1);
            assertArrayEquals(new float[] {5, 4, 3, 2, 1, 0}, holders.get(0).toFloatArray());

            // released again: the gradient goes with the tensor
            ArrayStorage.release(w);
            assertEquals(0, w.getGradient().size(), "a fresh empty tensor has no gradient (DJL reads zeros)");
        }
    }

    @Test
    void arrayWithoutGradientStaysWithout() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.zeros(new Shape(4));
            ArrayStorage.release(a);
            assertFalse(a.hasGradient());
            ArrayStorage.adopt(a, m.ones(new Shape(4)));
            assertFalse(a.hasGradient());
            assertArrayEquals(new float[] {1, 1, 1, 1}, a.toFloatArray());
            NDArray closed = m.zeros(new Shape(1));
            closed.close();
            assertThrows(IllegalStateException.class, () -> ArrayStorage.release(closed));
        }
    }

    private static void assertSame(Object a, Object b) {
        org.junit.jupiter.api.Assertions.assertSame(a, b);
    }
}

package dev.qvgen.layers.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import org.junit.jupiter.api.Test;

/** {@link OpClock}: exclusive times per op class, nothing recorded when no clock runs. */
class OpClockTest {
    private static NDArray sleep(long ms, NDArray x) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return x;
    }

    @Test
    void nestedOpsAreTakenOffTheEnclosingOne() {
        try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu())) {
            NDArray x = m.ones(new ai.djl.ndarray.types.Shape(2, 3));
            OpClock.Shares s = OpClock.measure(() -> {
                NDArray y = OpClock.time(OpClock.Kind.LINEAR, x, () -> {
                    sleep(30, x);
                    return OpClock.time(OpClock.Kind.QUANTIZATION, x, () -> sleep(100, x));
                });
                sleep(20, x);
                return OpClock.time(OpClock.Kind.ATTENTION, y, () -> sleep(10, y));
            });
            assertTrue(s.quantization() >= 0.099, "quantization " + s.quantization());
            // exclusive: the linear's own 30 ms, not the 130 ms it enclosed
            assertTrue(s.linear() >= 0.029 && s.linear() < 0.1, "linear " + s.linear());
            assertTrue(s.attention() >= 0.009, "attention " + s.attention());
            assertTrue(s.rest() >= 0.019, "rest " + s.rest());
            assertTrue(s.total() >= s.linear() + s.attention() + s.quantization() + 0.019, s.describe());
            assertTrue(s.describe().startsWith("linear "), s.describe());
        }
    }

    @Test
    void withoutAClockOpsJustRun() {
        try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu())) {
            NDArray x = m.ones(new ai.djl.ndarray.types.Shape(2));
            int[] calls = {0};
            assertSame(x, OpClock.time(OpClock.Kind.LINEAR, x, () -> {
                calls[0]++;
                return x;
            }));
            assertEquals(1, calls[0]);
            // a later pass starts from zero: nothing of the call above was recorded
            OpClock.Shares s = OpClock.measure(() -> x);
            assertEquals(0.0, s.linear());
        }
    }
}

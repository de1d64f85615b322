package dev.qvgen.bench.quantizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Each benchmark runs once and returns a sane value (JMH itself is not run in CI). */
class QuantizerBenchmarkTest {
    @Test
    void everyBenchmarkRuns() {
        QuantizerBenchmark b = new QuantizerBenchmark();
        QuantizerBenchmark.Layer s = new QuantizerBenchmark.Layer();
        s.make();
        try {
            for (float v : new float[] {b.fakeQuantWeightRtn(s), b.fakeQuantWeightLsqPlus(s), b.fakeQuantActivationRtn(s),
                    b.fakeQuantActivationClipped(s), b.qatLinearForward(s), b.qatLinearForwardBackward(s)}) {
                assertTrue(Float.isFinite(v));
            }
            // twice: per-call scopes must not free the layer's state
            assertTrue(Float.isFinite(b.qatLinearForwardBackward(s)));
        } finally {
            s.close();
        }
        QuantizerBenchmark.Codes c = new QuantizerBenchmark.Codes();
        c.bits = 3;
        c.make();
        assertArrayEquals(c.codes, b.unpack(c));
        assertArrayEquals(c.packed, b.pack(c));
    }
}

package dev.qvgen.harness.toy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.suites.toy.ToyVocabulary;
import dev.qvgen.suites.toy.ToyWorld;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** `toy train --data-threads N` trains on the data of one thread: each step's batch is drawn from its own generator. */
class ToyBatchPrefetcherTest {
    private static final ToyWorld WORLD = ToyWorld.defaults();
    private static final ToyVocabulary VOCAB = new ToyVocabulary();

    private static ToyBatch.Host draw(int step) {
        return ToyBatch.draw(WORLD, VOCAB, 3, ToyBatch.rng(7, step), 0.3f, ToyBatch.Sigmas.HIGH_NOISE_MIX);
    }

    @Test
    void workerThreadsGiveTheBatchesOfOneThread() {
        int steps = 9;
        List<Integer> drawn = Collections.synchronizedList(new ArrayList<>());
        try (ToyBatchPrefetcher ahead = new ToyBatchPrefetcher(s -> {
            drawn.add(s);
            return draw(s);
        }, steps, 3)) {
            for (int step = 2; step < steps; step++) { // a resumed run starts past 0
                ToyBatch.Host got = ahead.get(step);
                ToyBatch.Host want = draw(step);
                assertArrayEquals(want.x0(), got.x0(), "clips of step " + step);
                assertArrayEquals(want.noise(), got.noise(), "noise of step " + step);
                assertArrayEquals(want.sigma(), got.sigma(), "sigmas of step " + step);
                assertArrayEquals(want.ids(), got.ids(), "captions of step " + step);
            }
        }
        assertEquals(steps - 2, drawn.size(), "each step drawn once, none past the last: " + drawn);
        assertTrue(drawn.stream().allMatch(s -> s >= 2 && s < steps), "drawn " + drawn);
    }

    @Test
    void consecutiveStepsDrawDifferentBatches() {
        assertTrue(!java.util.Arrays.equals(draw(0).noise(), draw(1).noise()));
    }

    @Test
    void highNoiseMixDrawsHalfItsSigmasFromTheTop() {
        float[] s = ToyBatch.draw(WORLD, VOCAB, 400, ToyBatch.rng(1, 0), 0f, ToyBatch.Sigmas.HIGH_NOISE_MIX).sigma();
        int high = 0;
        for (float v : s) {
            assertTrue(v > 0 && v < 1, "sigma in (0, 1): " + v);
            high += v >= 0.8f ? 1 : 0;
        }
        // half uniform on [0.8, 1) plus logit-normal's own ~20% there: about 60%
        assertTrue(high > 200 && high < 290, high + " of 400 at sigma >= 0.8");
    }
}

package dev.qvgen.metrics.tag2text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The search's rules on decoders whose next-token distribution is written down. */
class BeamSearchTest {
    static final int VOCAB = 6;
    static final long EOS = 1;
    static final long PAD = 0;

    static float[][] logSoftmax(float[][] logits) {
        float[][] out = new float[logits.length][];
        for (int r = 0; r < logits.length; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (float v : logits[r]) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (float v : logits[r]) {
                sum += Math.exp(v - max);
            }
            out[r] = new float[logits[r].length];
            for (int i = 0; i < out[r].length; i++) {
                out[r][i] = (float) (logits[r][i] - max - Math.log(sum));
            }
        }
        return out;
    }

    /** The same distribution at every step. */
    static BeamSearch.Step constant(float... logits) {
        return (ids, parents) -> {
            float[][] out = new float[ids.length][];
            for (int r = 0; r < ids.length; r++) {
                out[r] = logits.clone();
            }
            return logSoftmax(out);
        };
    }

    @Test
    void theEndTokenIsHeldBackUntilMinLength() {
        // EOS is by far the likeliest, so the best caption ends exactly at min_length
        BeamSearch s = new BeamSearch(3, 12, 6, EOS, PAD);
        long[][] out = s.search(new long[][] {{5, 4}}, constant(0f, 9f, 1f, 0.5f, 0f, 0f));
        assertArrayEquals(new long[] {5, 4, 2, 2, 2, 2, EOS}, out[0]);
    }

    @Test
    void withoutAnEndTokenTheSearchStopsAtMaxLength() {
        BeamSearch s = new BeamSearch(2, 7, 3, EOS, PAD);
        long[][] out = s.search(new long[][] {{5}, {4}}, constant(0f, -50f, 3f, 1f, 0f, 0f));
        assertEquals(7, out[0].length);
        assertArrayEquals(new long[] {5, 2, 2, 2, 2, 2, 2}, out[0]);
        assertArrayEquals(new long[] {4, 2, 2, 2, 2, 2, 2}, out[1]);
    }

    @Test
    void aLongerHypothesisWinsWhenItsLengthNormalisedScoreIsHigher() {
        // after the prompt [5]: token 2 then EOS is a short hypothesis; token 3 leads to a run of
        // near-certain 4s whose per-token average beats it; sequences are scored by sum / length
        BeamSearch.Step step = (ids, parents) -> {
            float[][] out = new float[ids.length][];
            for (int r = 0; r < ids.length; r++) {
                long last = ids[r][ids[r].length - 1];
                out[r] = last == 5 ? new float[] {-9f, -9f, 2f, 1.6f, -9f, -9f}
                        : last == 2 ? new float[] {-9f, 5f, -9f, -9f, -9f, -9f}
                        : new float[] {-9f, 0f, -9f, -9f, 8f, -9f};
            }
            return logSoftmax(out);
        };
        long[][] out = new BeamSearch(2, 6, 2, EOS, PAD).search(new long[][] {{5}}, step);
        assertArrayEquals(new long[] {5, 3, 4, 4, 4, 4}, out[0]);
        long[][] shortOnly = new BeamSearch(2, 3, 2, EOS, PAD).search(new long[][] {{5}}, step);
        assertArrayEquals(new long[] {5, 2, EOS}, shortOnly[0]);
    }

    @Test
    void eachStepNamesTheRowsItsRowsExtend() {
        // input 0 (prompt 5) wants to end soon, so it finishes early and is padded; input 1
        // (prompt 4) branches so that its beams swap and share parents
        List<long[][]> seen = new ArrayList<>();
        List<int[]> parentsSeen = new ArrayList<>();
        BeamSearch.Step step = (ids, parents) -> {
            seen.add(ids);
            parentsSeen.add(parents);
            float[][] out = new float[ids.length][];
            for (int r = 0; r < ids.length; r++) {
                long last = ids[r][ids[r].length - 1];
                out[r] = ids[r][0] == 5 ? new float[] {0f, 6f, 1f, 0.5f, 0f, 0f}
                        : last == 2 ? new float[] {0f, -9f, 0f, 0f, 3f, 2.9f}
                        : last == 4 ? new float[] {0f, -9f, 3f, 2.9f, 0f, 0f}
                        : new float[] {0f, -9f, 2f, 2f, 2f, 2f};
            }
            return logSoftmax(out);
        };
        new BeamSearch(3, 9, 3, EOS, PAD).search(new long[][] {{5}, {4}}, step);
        assertNull(parentsSeen.get(0), "the first step has no parents");
        boolean reordered = false;
        boolean padded = false;
        for (int s = 1; s < seen.size(); s++) {
            long[][] prev = seen.get(s - 1);
            long[][] ids = seen.get(s);
            int[] parents = parentsSeen.get(s);
            assertEquals(ids.length, parents.length);
            for (int r = 0; r < ids.length; r++) {
                // row r is its parent's sequence plus one token
                assertArrayEquals(prev[parents[r]], Arrays.copyOf(ids[r], ids[r].length - 1), "step " + s + " row " + r);
                reordered |= parents[r] != r;
                if (ids[r][ids[r].length - 1] == PAD) {
                    padded = true;
                    assertEquals(r / 3 * 3, parents[r], "a done input's rows copy its first row");
                }
            }
        }
        assertTrue(reordered, "the beams never moved: the case tests nothing");
        assertTrue(padded, "input 0 never finished early: the case tests nothing");
    }

    @Test
    void refusesFewerThanTwoBeams() {
        assertThrows(IllegalArgumentException.class, () -> new BeamSearch(1, 10, 1, EOS, PAD));
    }
}

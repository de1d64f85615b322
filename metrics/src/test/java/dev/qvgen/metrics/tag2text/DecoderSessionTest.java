package dev.qvgen.metrics.tag2text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.weights.TorchPickle;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.nn.Tensors;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The incremental decoder against the full recompute ({@link MedLmHeadModel#logits}, itself
 * checked against med.py) on the toy fixture's decoder: the last position's logits agree over
 * several steps whose rows follow permuted and duplicated parents, as beams do. As in a beam
 * search, the rows are 2 inputs x 3 beams, an input's beams share their encoder states and
 * parents stay among an input's beams (a row's cached keys were computed against its parent's
 * encoder states).
 */
class DecoderSessionTest {
    static final double TOL = 1e-5;
    static final int ROWS = 6;
    /** parentRows per step after the first, within each input's 3 beams: identity, duplicates, reversals, permutations. */
    static final int[][] ORDERS = {
        {0, 1, 2, 3, 4, 5}, {2, 2, 0, 5, 3, 4}, {2, 1, 0, 5, 4, 3}, {1, 1, 1, 4, 4, 4}, {1, 2, 0, 3, 5, 4},
        {0, 0, 0, 5, 5, 3},
    };
    /** The encoder row each decoder row reads: one per input, different between inputs. */
    static final long[] PAIRED = {0, 0, 0, 3, 3, 3};

    static MedLmHeadModel decoder(NDManager m) throws Exception {
        try (TorchPickle pth = TorchPickle.open(MedBertParityTest.resource(MedBertParityTest.PTH))) {
            return MedLmHeadModel.load(pth, "model.text_decoder.",
                    MedBertParityTest.bert(MedBertParityTest.config(), "med", "decoder_encoder_width"), m);
        }
    }

    /** Runs prompt + ORDERS through a session and the full recompute, returning the worst rel L2. */
    static double worstAgainstFullRecompute(MedLmHeadModel decoder, NDArray states, NDManager m) {
        Random random = new Random(11);
        int vocab = decoder.config().vocabSize();
        long[][] ids = new long[ROWS][4];
        for (long[] row : ids) {
            for (int j = 0; j < row.length; j++) {
                row[j] = random.nextInt(vocab);
            }
        }
        double worst = 0;
        try (DecoderSession session = decoder.session(states, m)) {
            for (int s = 0; s <= ORDERS.length; s++) {
                int[] parents = s == 0 ? null : ORDERS[s - 1];
                if (parents != null) {
                    long[][] next = new long[ROWS][];
                    for (int r = 0; r < ROWS; r++) {
                        next[r] = Arrays.copyOf(ids[parents[r]], ids[parents[r]].length + 1);
                        next[r][next[r].length - 1] = random.nextInt(vocab);
                    }
                    ids = next;
                }
                try (NDManager step = m.newSubManager()) {
                    NDArray cached = session.step(ids, parents, step);
                    assertEquals(new Shape(ROWS, vocab), cached.getShape());
                    NDArray full = decoder.logits(step.create(ids), states);
                    NDArray last = full.get(":, {}, :", ids[0].length - 1);
                    double e = Tensors.relativeL2(cached, last);
                    System.out.printf("tag2text decoder session step %d rel_l2 %.3e%n", s, e);
                    worst = Math.max(worst, e);
                }
                assertEquals(ids[0].length, session.length());
            }
        }
        return worst;
    }

    @Test
    void incrementalLogitsEqualTheFullRecomputeAsBeamsReorder() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                SafeTensorsFile g = SafeTensorsFile.open(MedBertParityTest.resource("golden.safetensors"))) {
            NDArray states = g.load("tag.encoder_out", m).get(m.create(PAIRED));
            double worst = worstAgainstFullRecompute(decoder(m), states, m);
            assertTrue(worst < TOL, "rel_l2 " + worst);
        }
    }

    @Test
    void aLargerEncoderBatchKeepsItsFirstRowsAsTheFullRecomputeDoes() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                SafeTensorsFile g = SafeTensorsFile.open(MedBertParityTest.resource("golden.safetensors"))) {
            NDArray states = g.load("tag.encoder_out", m);
            // 12 rows, only the first 6 are read
            NDArray wide = states.get(m.create(PAIRED)).concat(states, 0);
            double worst = worstAgainstFullRecompute(decoder(m), wide, m);
            assertTrue(worst < TOL, "rel_l2 " + worst);
        }
    }

    @Test
    void stepsAfterTheFirstAddOneTokenPerRowAndNameTheirParents() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                SafeTensorsFile g = SafeTensorsFile.open(MedBertParityTest.resource("golden.safetensors"))) {
            MedLmHeadModel decoder = decoder(m);
            try (DecoderSession session = decoder.session(g.load("tag.encoder_out", m), m)) {
                long[][] prompt = new long[ROWS][] ;
                Arrays.fill(prompt, new long[] {1, 2, 3, 4});
                assertThrows(IllegalArgumentException.class, () -> session.step(prompt, new int[ROWS], m));
                session.step(prompt, null, m);
                long[][] two = new long[ROWS][];
                Arrays.fill(two, new long[] {1, 2, 3, 4, 5, 6});
                assertThrows(IllegalArgumentException.class, () -> session.step(two, new int[ROWS], m));
                long[][] one = new long[ROWS][];
                Arrays.fill(one, new long[] {1, 2, 3, 4, 5});
                assertThrows(IllegalArgumentException.class, () -> session.step(one, null, m));
                assertThrows(IllegalArgumentException.class, () -> session.step(one, new int[] {0, 1, 2, 3, 4, 6}, m));
                assertEquals(4, session.length());
            }
        }
    }
}

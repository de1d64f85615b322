package dev.qvgen.metrics.tag2text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import java.util.Arrays;
import java.util.List;

/**
 * Incremental decoding with {@link MedLmHeadModel} over fixed encoder states. (VBench's call
 * re-runs the whole sequence every step: med.py's prepare_inputs_for_generation takes a `past`
 * argument that transformers no longer passes. A causal decoder gives the same last-position
 * logits either way, to float rounding.) The cross-attention keys and values of the
 * encoder states are computed once, each layer keeps its self-attention keys and values, each
 * step feeds only the new token (at the cached length's position) and the LM head runs on the
 * last position only. Re-running the whole sequence every step, with the 30524-way head on every
 * position, cost a published-size video's beam search about 8 TFLOP.
 *
 * <p>Between steps the cached rows follow the beams: row r of a step continues row
 * {@code parentRows[r]} of the previous one ({@link BeamSearch.Step}). As with transformers'
 * cache, the logits equal the full recompute's only when a row's encoder states equal its
 * parent's (its cached keys were computed against the parent's): a beam search keeps parents
 * among an input's beams, and Tag2Text gives those beams the same encoder row.
 */
public final class DecoderSession implements AutoCloseable {
    private final MedBertModel bert;
    private final MedLmHeadModel model;
    private final NDArray states;
    /** Owns the caches, which outlive each step's temporaries. */
    private final NDManager manager;
    private NDArray[][] cross;
    private NDArray[][] self;
    private int length;

    DecoderSession(MedLmHeadModel model, NDArray encoderStates, NDManager parent) {
        this.model = model;
        this.bert = model.bert();
        this.states = encoderStates;
        this.manager = parent.newSubManager();
    }

    /** Tokens cached so far. */
    public int length() {
        return length;
    }

    /**
     * One decoding step.
     *
     * @param ids (B, L) the sequences so far: on the first step the prompts, fed whole; after it
     *     each row is its parent row's sequence plus one new token, and only that token is fed
     * @param parentRows the previous step's row each row extends (duplicates allowed), null on the
     *     first step
     * @param out the manager the returned logits belong to
     * @return the last position's logits (B, vocab); everything else the step makes is freed or cached
     */
    public NDArray step(long[][] ids, int[] parentRows, NDManager out) {
        boolean first = self == null;
        if (first != (parentRows == null)) {
            throw new IllegalArgumentException("parentRows must be null on the first step and only there");
        }
        int b = ids.length;
        int t = first ? ids[0].length : 1;
        long[][] fresh = new long[b][];
        for (int r = 0; r < b; r++) {
            if (ids[r].length != length + t) {
                throw new IllegalArgumentException("row " + r + " has " + ids[r].length + " tokens, expected "
                        + (length + t) + ": a step after the first adds exactly one token per row");
            }
            fresh[r] = Arrays.copyOfRange(ids[r], length, length + t);
        }
        long[] parents = null;
        if (!first) {
            long cachedRows = self[0][0].getShape().get(0);
            if (parentRows.length != b) {
                throw new IllegalArgumentException(parentRows.length + " parent rows for " + b + " rows");
            }
            parents = new long[b];
            for (int r = 0; r < b; r++) {
                if (parentRows[r] < 0 || parentRows[r] >= cachedRows) {
                    throw new IllegalArgumentException("parent row " + parentRows[r] + " of row " + r
                            + " is not among the " + cachedRows + " cached rows");
                }
                parents[r] = parentRows[r];
            }
        }
        List<BertLayer> layers = bert.layers();
        NDArray[][] nextSelf = new NDArray[layers.size()][];
        NDArray logits;
        // the scope frees every temporary, whichever manager an op put it in (a lookup in a
        // weight table lands in the model's); what outlives the step is unregistered and attached
        try (NDScope scope = new NDScope()) {
            if (first) {
                cross = new NDArray[layers.size()][];
                for (int i = 0; i < layers.size(); i++) {
                    cross[i] = keep(layers.get(i).crossKeysValues(states, b), manager);
                }
            }
            NDArray x = bert.embed(manager.create(fresh), length);
            // the prompt's tokens see only earlier ones; a single new token sees every cached one
            NDArray mask = t > 1 ? MedBertModel.selfMask(null, x, true) : null;
            NDArray order = first ? null : manager.create(parents);
            for (int i = 0; i < layers.size(); i++) {
                BertLayer layer = layers.get(i);
                NDArray[] kv = layer.selfKeysValues(x);
                if (!first) {
                    kv = new NDArray[] {self[i][0].get(order).concat(kv[0], 2), self[i][1].get(order).concat(kv[1], 2)};
                }
                x = layer.step(x, kv, cross[i], mask);
                nextSelf[i] = keep(kv, manager);
            }
            NDArray last = x.get(":, {}, :", t - 1);
            logits = keep(new NDArray[] {model.head(last)}, out)[0];
        }
        if (!first) {
            for (NDArray[] kv : self) {
                kv[0].close();
                kv[1].close();
            }
        }
        self = nextSelf;
        length += t;
        return logits;
    }

    /** Takes arrays out of the step's scope into a longer-lived manager. */
    private static NDArray[] keep(NDArray[] arrays, NDManager owner) {
        for (NDArray a : arrays) {
            NDScope.unregister(a);
            a.attach(owner);
        }
        return arrays;
    }

    /** Frees the caches. */
    @Override
    public void close() {
        manager.close();
    }
}

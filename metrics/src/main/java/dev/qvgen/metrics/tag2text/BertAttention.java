package dev.qvgen.metrics.tag2text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.Scalars;

/**
 * med.py's {@code BertAttention}: multi-head attention ({@code self}) then add-and-norm
 * ({@code output}). As cross-attention its keys and values come from encoder states of
 * {@link BertConfig#encoderWidth()}.
 */
final class BertAttention extends Module {
    private final SelfAttention self;
    private final AddNorm output;

    BertAttention(BertConfig c, boolean cross) {
        self = child("self", new SelfAttention(c, cross ? c.encoderWidth() : c.hidden()));
        output = child("output", new AddNorm(c.hidden(), c));
    }

    /**
     * @param x (B, T, hidden)
     * @param context encoder states (B', S, encoderWidth) for cross-attention, null for self-attention
     * @param mask additive mask broadcastable to (B, heads, T, S), or null
     */
    NDArray forward(NDArray x, NDArray context, NDArray mask) {
        return output.forward(self.forward(x, context, mask), x);
    }

    /**
     * The keys and values {@code source} gives, each (B, heads, S, headDim), a larger key batch
     * cut to its first {@code rows} as in {@link #forward}: a decoding step computes them once
     * (cross-attention) or once per token (self-attention) and keeps them.
     */
    NDArray[] keysValues(NDArray source, long rows) {
        return self.keysValues(source, rows);
    }

    /** {@link #forward} with keys and values already computed by {@link #keysValues}. */
    NDArray attend(NDArray x, NDArray k, NDArray v, NDArray mask) {
        return output.forward(self.attend(x, k, v, mask), x);
    }

    static final class SelfAttention extends Module {
        private final int heads;
        private final int headDim;
        private final Linear query;
        private final Linear key;
        private final Linear value;

        SelfAttention(BertConfig c, int keyWidth) {
            heads = c.heads();
            headDim = c.headDim();
            query = child("query", new Linear(c.hidden(), c.hidden(), true));
            key = child("key", new Linear(keyWidth, c.hidden(), true));
            value = child("value", new Linear(keyWidth, c.hidden(), true));
        }

        NDArray forward(NDArray x, NDArray context, NDArray mask) {
            long b = x.getShape().get(0);
            NDArray[] kv = keysValues(context == null ? x : context, b);
            if (mask != null && mask.getShape().get(0) > b) {
                mask = mask.get("0:" + b); // cut with its key batch, see keysValues
            }
            return attend(x, kv[0], kv[1], mask);
        }

        NDArray[] keysValues(NDArray source, long rows) {
            if (source.getShape().get(0) > rows) {
                // med.py keeps only the first B rows of a larger key batch (and of its mask):
                // transformers' beam search hands the decoder encoder states expanded once more
                // per beam, so VBench's captions read these rows. Tag2Text pairs the rows itself
                // (Tag2Text.pairedRows); the cut is kept so a larger batch behaves as in med.py.
                source = source.get("0:" + rows);
            }
            return new NDArray[] {split(key.forward(source)), split(value.forward(source))};
        }

        NDArray attend(NDArray x, NDArray k, NDArray v, NDArray mask) {
            NDArray q = split(query.forward(x));
            // divided, not multiplied by the reciprocal, as med.py does
            NDArray scores = q.matMul(k.swapAxes(-1, -2)).div(Scalars.constant(q, (float) Math.sqrt(headDim)));
            if (mask != null) {
                scores = scores.add(mask);
            }
            NDArray o = scores.softmax(-1).matMul(v);
            return o.transpose(0, 2, 1, 3).reshape(x.getShape().get(0), x.getShape().get(1), (long) heads * headDim);
        }

        /** (B, T, heads*headDim) to (B, heads, T, headDim). */
        private NDArray split(NDArray y) {
            Shape s = y.getShape();
            return y.reshape(s.get(0), s.get(1), heads, headDim).transpose(0, 2, 1, 3);
        }
    }
}

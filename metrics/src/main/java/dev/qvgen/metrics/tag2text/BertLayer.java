package dev.qvgen.metrics.tag2text;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Activations;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;

/**
 * med.py's {@code BertLayer} with {@code add_cross_attention}: by mode, self-attention, then
 * cross-attention to encoder states, then the feed-forward ({@code intermediate}: dense and exact
 * GELU; {@code output}: dense, add and norm). In MLR mode it skips self-attention, so a layer built
 * without it (Tag2Text deletes vision_multi's) serves that mode only.
 */
final class BertLayer extends Module {
    private final BertAttention attention;
    private final BertAttention crossattention;
    private final Intermediate intermediate;
    private final AddNorm output;

    BertLayer(BertConfig c, boolean withSelfAttention) {
        attention = withSelfAttention ? child("attention", new BertAttention(c, false)) : null;
        crossattention = child("crossattention", new BertAttention(c, true));
        intermediate = child("intermediate", new Intermediate(c));
        output = child("output", new AddNorm(c.intermediate(), c));
    }

    boolean hasSelfAttention() {
        return attention != null;
    }

    /**
     * @param selfMask additive self-attention mask (B, 1, 1 or T, T)
     * @param context encoder states; cross-attention attends to all of them (Tag2Text's encoder
     *     masks are all ones)
     */
    NDArray forward(NDArray x, NDArray selfMask, NDArray context, MedBertModel.Mode mode) {
        NDArray h;
        if (mode == MedBertModel.Mode.MLR) {
            h = crossattention.forward(x, context, null);
        } else {
            h = attention.forward(x, null, selfMask);
            if (mode == MedBertModel.Mode.MULTIMODAL) {
                h = crossattention.forward(h, context, null);
            }
        }
        return output.forward(intermediate.forward(h), h);
    }

    /** A decoding step's self-attention keys and values of the new tokens, (B, heads, T, headDim) each. */
    NDArray[] selfKeysValues(NDArray x) {
        return attention.keysValues(x, x.getShape().get(0));
    }

    /** The cross-attention keys and values of fixed encoder states, cut to {@code rows} as med.py does. */
    NDArray[] crossKeysValues(NDArray context, long rows) {
        return crossattention.keysValues(context, rows);
    }

    /**
     * {@link #forward} in MULTIMODAL mode with keys and values given: the new tokens x attend to
     * {@code selfKV} (the cached ones followed by their own, from {@link #selfKeysValues}) and
     * to {@code crossKV} (from {@link #crossKeysValues}).
     *
     * @param selfMask additive mask over selfKV's keys, or null when every key is visible (a
     *     single new token sees all earlier ones and itself)
     */
    NDArray step(NDArray x, NDArray[] selfKV, NDArray[] crossKV, NDArray selfMask) {
        NDArray h = attention.attend(x, selfKV[0], selfKV[1], selfMask);
        h = crossattention.attend(h, crossKV[0], crossKV[1], null);
        return output.forward(intermediate.forward(h), h);
    }

    static final class Intermediate extends Module {
        private final Linear dense;

        Intermediate(BertConfig c) {
            dense = child("dense", new Linear(c.hidden(), c.intermediate(), true));
        }

        NDArray forward(NDArray x) {
            return Activations.gelu(dense.forward(x));
        }
    }
}

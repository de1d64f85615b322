package dev.qvgen.metrics.tag2text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.io.WeightSource;
import dev.qvgen.layers.nn.Activations;
import dev.qvgen.layers.nn.LayerNorm;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;

/**
 * med.py's {@code BertLMHeadModel}, Tag2Text's text decoder: {@code bert} (a {@link MedBertModel}
 * with causal self-attention and cross-attention to the tag encoder's states) and the LM head
 * {@code cls.predictions} (dense, exact GELU, LayerNorm, then the vocabulary projection).
 *
 * <p>{@link #logits} re-runs the whole sequence, as the reference's forward does; a beam search
 * decodes through a {@link DecoderSession} instead, which caches keys and values and gives the
 * same last-position logits because every position sees only itself and earlier ones.
 */
public final class MedLmHeadModel extends Module {
    private final MedBertModel bert;
    private final Predictions predictions;

    public MedLmHeadModel(BertConfig c) {
        bert = child("bert", MedBertModel.text(c));
        predictions = child("cls", new Cls(c)).predictions;
    }

    /** The decoder from a checkpoint (prefix e.g. {@code "model.text_decoder."}, or ""). */
    public static MedLmHeadModel load(WeightSource source, String prefix, BertConfig c, NDManager manager) {
        MedLmHeadModel m = new MedLmHeadModel(c);
        SubtreeWeights.load(m, source, prefix, manager);
        return m;
    }

    public BertConfig config() {
        return bert.config();
    }

    /**
     * {@code text_decoder(ids, encoder_hidden_states=states, encoder_attention_mask=None).logits}
     * with the all-ones self-attention mask generation uses.
     *
     * @param ids (B, T) token ids, any integer or float type
     * @param encoderStates (B', S, encoderWidth), the tag encoder's last_hidden_state; B' > B keeps
     *     the first B rows as med.py does
     * @return logits (B, T, vocab) for every position
     */
    public NDArray logits(NDArray ids, NDArray encoderStates) {
        return predictions.forward(bert.forward(ids, null, encoderStates, MedBertModel.Mode.MULTIMODAL, true));
    }

    /**
     * An incremental decoding session over fixed encoder states, for one beam search: see
     * {@link DecoderSession}. Its caches belong to a sub-manager of {@code manager}; close the
     * session (or the manager) to free them.
     */
    public DecoderSession session(NDArray encoderStates, NDManager manager) {
        return new DecoderSession(this, encoderStates, manager);
    }

    MedBertModel bert() {
        return bert;
    }

    /** The LM head on hidden states of any leading shape: (..., hidden) to (..., vocab). */
    NDArray head(NDArray hidden) {
        return predictions.forward(hidden);
    }

    static final class Cls extends Module {
        final Predictions predictions;

        Cls(BertConfig c) {
            predictions = child("predictions", new Predictions(c));
        }
    }

    /** {@code BertLMPredictionHead}. */
    static final class Predictions extends Module {
        private final Transform transform;
        private final Linear decoder;
        private final Parameter bias;

        Predictions(BertConfig c) {
            transform = child("transform", new Transform(c));
            decoder = child("decoder", new Linear(c.hidden(), c.vocabSize(), false));
            // med.py's own parameter; decoder.bias is the same tensor under a second name (it is
            // assigned, not copied), so the state dict's copy of it is left unread
            bias = param("bias", new Shape(c.vocabSize()));
        }

        NDArray forward(NDArray x) {
            return decoder.forward(transform.forward(x)).add(bias.getArray());
        }
    }

    /** {@code BertPredictionHeadTransform}. */
    static final class Transform extends Module {
        private final Linear dense;
        private final LayerNorm layerNorm;

        Transform(BertConfig c) {
            dense = child("dense", new Linear(c.hidden(), c.hidden(), true));
            layerNorm = child("LayerNorm", new LayerNorm(c.hidden(), c.eps(), true));
        }

        NDArray forward(NDArray x) {
            return layerNorm.forward(Activations.gelu(dense.forward(x)));
        }
    }
}

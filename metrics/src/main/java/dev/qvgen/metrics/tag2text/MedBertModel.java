package dev.qvgen.metrics.tag2text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.io.WeightSource;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.ModuleList;
import dev.qvgen.layers.nn.Scalars;
import dev.qvgen.layers.nn.Scopes;

import java.util.List;

/**
 * The {@code BertModel} of Tag2Text's med.py (BLIP's mixture of encoder and decoder), without
 * pooler, for inference. Parameter names are the published ones ({@code embeddings.*},
 * {@code encoder.layer.N.attention|crossattention|intermediate|output.*}).
 *
 * <p>Tag2Text uses it three ways: vision_multi in {@link Mode#MLR} (label embeddings as input, no
 * embeddings layer, cross-attention to the image only: Tag2Text deletes its self-attention), the
 * tag encoder in {@link Mode#MULTIMODAL} with a padding mask, and the text decoder (inside
 * {@link MedLmHeadModel}) in {@link Mode#MULTIMODAL} with the causal mask.
 */
public final class MedBertModel extends Module {
    /** med.py's mode strings: which of a layer's attentions run. */
    public enum Mode {
        /** 'mlr': cross-attention and feed-forward only. */
        MLR,
        /** 'multimodal': self-attention, cross-attention, feed-forward. */
        MULTIMODAL,
        /** 'text': self-attention and feed-forward. */
        TEXT
    }

    /** The additive value med.py's get_extended_attention_mask puts on hidden keys. */
    static final float MASKED = -10000f;

    private final BertConfig config;
    private final BertEmbeddings embeddings;
    private final Encoder encoder;

    private MedBertModel(BertConfig c, boolean full) {
        config = c;
        embeddings = full ? child("embeddings", new BertEmbeddings(c)) : null;
        encoder = child("encoder", new Encoder(c, full));
    }

    /** A model with embeddings and self-attention: the tag encoder, or the decoder's {@code bert}. */
    public static MedBertModel text(BertConfig c) {
        return new MedBertModel(c, true);
    }

    /** vision_multi as Tag2Text leaves it after {@code del_selfattention}: MLR mode only. */
    public static MedBertModel mlrOnly(BertConfig c) {
        return new MedBertModel(c, false);
    }

    /**
     * The tag encoder from a checkpoint.
     *
     * @param prefix the names' prefix in {@code source}, e.g. {@code "model.tag_encoder."} in a
     *     {@link dev.qvgen.layers.weights.TorchPickle} of tag2text_swin_14m.pth; "" for none
     */
    public static MedBertModel load(WeightSource source, String prefix, BertConfig c, NDManager manager) {
        MedBertModel m = text(c);
        SubtreeWeights.load(m, source, prefix, manager);
        return m;
    }

    /** vision_multi from a checkpoint (prefix e.g. {@code "model.vision_multi."}). */
    public static MedBertModel loadMlr(WeightSource source, String prefix, BertConfig c, NDManager manager) {
        MedBertModel m = mlrOnly(c);
        SubtreeWeights.load(m, source, prefix, manager);
        return m;
    }

    public BertConfig config() {
        return config;
    }

    /**
     * The tag encoder's forward: {@code tag_encoder(ids, attention_mask, encoder_hidden_states=image)}.
     *
     * @param ids (B, T) token ids, any integer or float type
     * @param attentionMask (B, T) 1 for tokens, 0 for padding (any numeric type), or null for all ones
     * @param imageEmbeds (B, S, encoderWidth)
     * @return last_hidden_state (B, T, hidden)
     */
    public NDArray encode(NDArray ids, NDArray attentionMask, NDArray imageEmbeds) {
        return forward(ids, attentionMask, imageEmbeds, Mode.MULTIMODAL, false);
    }

    /**
     * {@code BertModel(encoder_embeds=queries, encoder_hidden_states=context, mode='mlr')}.
     *
     * @param queries (B, Q, hidden), used as they are: MLR input skips the embeddings layer
     * @param context (B, S, encoderWidth)
     */
    public NDArray mlr(NDArray queries, NDArray context) {
        return encoder.forward(queries, null, require(context), Mode.MLR);
    }

    /**
     * med.py's {@code BertModel.forward} on token ids.
     *
     * @param context encoder states (B, S, encoderWidth), attended without a mask; null in TEXT mode.
     *     A batch larger than B is cut to its first B rows, as med.py does.
     * @param decoder whether self-attention is causal ({@code is_decoder})
     */
    public NDArray forward(NDArray ids, NDArray attentionMask, NDArray context, Mode mode, boolean decoder) {
        if (embeddings == null) {
            throw new IllegalStateException("this model has no embeddings layer (vision_multi): use mlr()");
        }
        if (mode != Mode.TEXT) {
            require(context);
        }
        NDArray x = embeddings.forward(ids);
        NDArray mask = mode == Mode.MLR ? null : selfMask(attentionMask, x, decoder);
        return encoder.forward(x, mask, context, mode);
    }

    /** The embeddings of ids at positions offset.., for an incremental decoding step ({@link DecoderSession}). */
    NDArray embed(NDArray ids, int offset) {
        if (embeddings == null) {
            throw new IllegalStateException("this model has no embeddings layer (vision_multi): use mlr()");
        }
        return embeddings.forward(ids, offset);
    }

    /** The layer stack, which {@link DecoderSession} runs one layer at a time with its caches. */
    List<BertLayer> layers() {
        return encoder.layer.items();
    }

    private static NDArray require(NDArray context) {
        if (context == null) {
            throw new IllegalArgumentException("encoder_hidden_states must be given for cross-attention layers");
        }
        return context;
    }

    /**
     * get_extended_attention_mask: {@code (1 - mask) * -10000} in float32, (B, 1, 1, T) for an
     * encoder, (B, 1, T, T) for a decoder, where a query also hides every later key. Null when
     * nothing is hidden.
     */
    static NDArray selfMask(NDArray attentionMask, NDArray x, boolean decoder) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        if (attentionMask == null && !decoder) {
            return null;
        }
        NDArray keep = attentionMask == null ? null
                : attentionMask.toType(DataType.FLOAT32, false).toDevice(x.getDevice(), false).reshape(b, 1, 1, t);
        if (decoder) {
            float[] lower = new float[(int) (t * t)];
            for (int i = 0; i < t; i++) {
                for (int j = 0; j <= i; j++) {
                    lower[(int) (i * t + j)] = 1f;
                }
            }
            NDArray causal = x.getManager().create(lower, new Shape(1, 1, t, t)).toDevice(x.getDevice(), false);
            keep = keep == null ? causal : causal.mul(keep);
        }
        // (keep - 1) * 10000 equals (1 - keep) * -10000 exactly: negation is exact in IEEE arithmetic
        return Scalars.mul(Scalars.sub(keep, 1f), -MASKED);
    }

    /** med.py's {@code BertEncoder}: the layer stack under {@code encoder.layer}. */
    static final class Encoder extends Module {
        private final ModuleList<BertLayer> layer;

        Encoder(BertConfig c, boolean withSelfAttention) {
            layer = child("layer", new ModuleList<>());
            for (int i = 0; i < c.layers(); i++) {
                layer.add(new BertLayer(c, withSelfAttention));
            }
        }

        NDArray forward(NDArray x, NDArray selfMask, NDArray context, Mode mode) {
            if (mode != Mode.MLR && layer.size() > 0 && !layer.get(0).hasSelfAttention()) {
                throw new IllegalStateException("vision_multi's layers have no self-attention: only MLR mode runs");
            }
            NDArray input = x;
            for (BertLayer l : layer.items()) {
                NDArray in = x;
                x = Scopes.scoped(() -> l.forward(in, selfMask, context, mode));
                if (in != input) {
                    in.close(); // a layer's input is dead once it has run; the caller's is left alone
                }
            }
            return x;
        }
    }
}

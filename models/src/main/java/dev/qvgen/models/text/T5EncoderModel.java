package dev.qvgen.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.RenamedWeights;
import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.io.WeightSource;
import dev.qvgen.layers.io.WeightSources;
import dev.qvgen.layers.nn.Embedding;
import dev.qvgen.layers.nn.Activations;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.ModuleList;
import dev.qvgen.layers.nn.Precision;
import dev.qvgen.layers.nn.RmsNorm;
import dev.qvgen.layers.nn.Scopes;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * transformers' {@code T5EncoderModel} (T5 v1.1, CogVideoX's text encoder) and {@code
 * UMT5EncoderModel} (Wan2.1's), parameter names as published ({@code shared.weight},
 * {@code encoder.block.N.layer.0.SelfAttention.q.weight}, ...).
 *
 * <p>T5 attention has no 1/sqrt(d) scaling (it is folded into the initialisation) and adds a
 * learned bias per head indexed by bucketed relative position. T5 computes that bias in the first
 * layer only and reuses it in every layer; UMT5 gives each layer its own table. Norms are
 * T5LayerNorm: RMS scaling without mean subtraction or bias. The FFN of v1.1 and UMT5 is gated:
 * {@code wo(gelu_tanh(wi_0 x) * wi_1 x)}.
 */
public final class T5EncoderModel extends Module {
    /** torch.finfo(float32).min, the additive mask transformers puts on padded keys. */
    private static final float MASK_VALUE = -Float.MAX_VALUE;

    private final T5Config config;
    private final Embedding shared;
    private final Stack encoder;

    public T5EncoderModel(T5Config c) {
        this.config = c;
        shared = child("shared", new Embedding(c.vocabSize(), c.dModel()));
        encoder = child("encoder", new Stack(c));
    }

    /** Builds the encoder from a {@code text_encoder/} directory ({@code model.safetensors}, maybe sharded). */
    public static T5EncoderModel fromPretrained(Path dir, NDManager manager) {
        T5Config c = T5Config.read(dir.resolve("config.json"));
        T5EncoderModel m = new T5EncoderModel(c);
        try (WeightSource src = WeightSources.open(dir, "model")) {
            // The input embedding is tied to "shared"; some exports also (or only) store the tied copy.
            WeightSource s = src.names().contains("shared.weight") ? src : tiedCopyAsShared(src);
            WeightLoader.load(m, s, manager, Set.of("encoder.embed_tokens.weight"));
        }
        return m;
    }

    public T5Config config() {
        return config;
    }

    /**
     * @param inputIds (B, L) int64 token ids
     * @param attentionMask (B, L) 1 for tokens, 0 for padding; null attends to every position
     *     (as CogVideoX calls it)
     * @return last_hidden_state (B, L, d_model)
     */
    public NDArray forward(NDArray inputIds, NDArray attentionMask) {
        // in its own scope: only the result outlives the call (the embedding gather, masks and every
        // block's intermediates are freed), whatever scope the caller has open
        return Scopes.scoped(() -> {
            NDArray x = shared.lookup(inputIds);
            NDArray mask = null;
            if (attentionMask != null) {
                Shape s = inputIds.getShape();
                // (1 - mask) * finfo.min, broadcast over heads and queries: (B, 1, 1, L); float32, so
                // scores in half precision are promoted where it is added (no -inf from the cast)
                mask = attentionMask.toType(DataType.FLOAT32, false).neg().add(1f).mul(MASK_VALUE)
                        .reshape(s.get(0), 1, 1, s.get(1));
            }
            return encoder.forward(x, mask);
        });
    }

    /**
     * Zeroes the states of padded positions, as the Wan pipeline does after encoding (it trims each
     * prompt to its length and pads with zeros). {@code hidden} may be bfloat16.
     */
    public static NDArray zeroPadded(NDArray hidden, NDArray attentionMask) {
        NDArray m = Precision.like(attentionMask.toType(DataType.FLOAT32, false), hidden);
        return hidden.mul(m.expandDims(-1));
    }

    /**
     * T5's relative position bucket (bidirectional, as in the encoder): half the buckets for
     * keys after the query; within each half, exact buckets for distances below half of it and
     * logarithmic ones up to {@code maxDistance}. Float32 arithmetic as in the reference, so
     * the truncation lands in the same bucket.
     */
    static int bucket(int relativePosition, int numBuckets, int maxDistance) {
        int half = numBuckets / 2;
        int out = relativePosition > 0 ? half : 0;
        int n = Math.abs(relativePosition);
        int maxExact = half / 2;
        if (n < maxExact) {
            return out + n;
        }
        float logRatio = (float) Math.log((float) n / (float) maxExact);
        float scaled = logRatio / (float) Math.log(maxDistance / (double) maxExact) * (float) (half - maxExact);
        int large = Math.min(maxExact + (int) scaled, half - 1);
        return out + large;
    }

    /** T5Stack of the encoder: blocks, then the final norm. */
    static final class Stack extends Module {
        private final ModuleList<Block> block;
        private final RmsNorm finalLayerNorm;

        Stack(T5Config c) {
            block = child("block", new ModuleList<>());
            for (int i = 0; i < c.numLayers(); i++) {
                block.add(new Block(c, i == 0 || c.biasInEveryLayer()));
            }
            finalLayerNorm = child("final_layer_norm", new RmsNorm(c.dModel(), (float) c.layerNormEpsilon()));
        }

        /** @param x the embedded tokens, closed here (as is every block's input once the block has run) */
        NDArray forward(NDArray x, NDArray mask) {
            int len = (int) x.getShape().get(1);
            NDManager manager = x.getManager();
            NDArray sharedBias = null;
            for (Block b : block.items()) {
                Attention attn = b.selfAttention.attention;
                NDArray bias;
                boolean ownBias = false;
                if (attn.hasBias()) {
                    bias = Scopes.scoped(() -> {
                        NDArray pb = attn.positionBias(manager, len);
                        return mask == null ? pb : pb.add(mask);
                    });
                    if (sharedBias == null) {
                        sharedBias = bias;
                    } else {
                        ownBias = true; // UMT5: this layer's own table
                    }
                } else {
                    // T5: later layers reuse the first layer's bias (mask included).
                    bias = sharedBias;
                }
                // each block in its own scope, its input closed after it: DJL would otherwise keep
                // every layer's attention scores and 10240-wide FFN states to the end of the encoder
                NDArray in = x;
                NDArray blockBias = bias;
                x = Scopes.scoped(() -> b.forward(in, blockBias));
                in.close();
                if (ownBias) {
                    bias.close();
                }
            }
            NDArray out = finalLayerNorm.forward(x);
            x.close();
            if (sharedBias != null) {
                sharedBias.close();
            }
            return out;
        }
    }

    /** T5Block: self-attention sublayer then feed-forward sublayer, each pre-norm residual. */
    static final class Block extends Module {
        private final SelfAttentionLayer selfAttention;
        private final FeedForwardLayer feedForward;

        Block(T5Config c, boolean hasBias) {
            ModuleList<Module> layer = child("layer", new ModuleList<>());
            selfAttention = (SelfAttentionLayer) layer.add(new SelfAttentionLayer(c, hasBias));
            feedForward = (FeedForwardLayer) layer.add(new FeedForwardLayer(c));
        }

        NDArray forward(NDArray x, NDArray bias) {
            x = x.add(selfAttention.attention.forward(selfAttention.layerNorm.forward(x), bias));
            return x.add(feedForward.forward(feedForward.layerNorm.forward(x)));
        }
    }

    static final class SelfAttentionLayer extends Module {
        final Attention attention;
        final RmsNorm layerNorm;

        SelfAttentionLayer(T5Config c, boolean hasBias) {
            attention = child("SelfAttention", new Attention(c, hasBias));
            layerNorm = child("layer_norm", new RmsNorm(c.dModel(), (float) c.layerNormEpsilon()));
        }
    }

    /** T5Attention without scaling; the bias (heads, L, L) plus mask is added to the scores. */
    static final class Attention extends Module {
        private final T5Config config;
        private final Linear q;
        private final Linear k;
        private final Linear v;
        private final Linear o;
        private final Embedding relativeAttentionBias;

        Attention(T5Config c, boolean hasBias) {
            this.config = c;
            q = child("q", new Linear(c.dModel(), c.innerDim(), false));
            k = child("k", new Linear(c.dModel(), c.innerDim(), false));
            v = child("v", new Linear(c.dModel(), c.innerDim(), false));
            o = child("o", new Linear(c.innerDim(), c.dModel(), false));
            relativeAttentionBias = hasBias
                    ? child("relative_attention_bias", new Embedding(c.relativeAttentionNumBuckets(), c.numHeads()))
                    : null;
        }

        boolean hasBias() {
            return relativeAttentionBias != null;
        }

        /** compute_bias: (1, heads, L, L) from the buckets of key position minus query position. */
        NDArray positionBias(NDManager manager, int len) {
            long[] buckets = new long[len * len];
            for (int i = 0; i < len; i++) {
                for (int j = 0; j < len; j++) {
                    buckets[i * len + j] = bucket(j - i, config.relativeAttentionNumBuckets(),
                            config.relativeAttentionMaxDistance());
                }
            }
            NDArray idx = manager.create(buckets, new Shape(len, len));
            return relativeAttentionBias.lookup(idx).transpose(2, 0, 1).expandDims(0);
        }

        private NDArray heads(NDArray x) {
            Shape s = x.getShape();
            return x.reshape(s.get(0), s.get(1), config.numHeads(), config.dKv()).transpose(0, 2, 1, 3);
        }

        NDArray forward(NDArray x, NDArray bias) {
            Shape s = x.getShape();
            NDArray scores = heads(q.forward(x)).matMul(heads(k.forward(x)).transpose(0, 1, 3, 2));
            if (bias != null) {
                scores = scores.add(bias);
            }
            NDArray values = heads(v.forward(x));
            // transformers: softmax(scores.float()).type_as(scores); in half precision the float32
            // mask has already promoted masked scores to float32, and the weights go back to v's type
            NDArray weights = scores.toType(DataType.FLOAT32, false).softmax(-1);
            NDArray ctx = Precision.like(weights, values).matMul(values);
            return o.forward(ctx.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(1), config.innerDim()));
        }
    }

    /** T5LayerFF with DenseReluDense gated ({@code wi_0}, {@code wi_1}, {@code wo}) or plain ({@code wi}, {@code wo}). */
    static final class FeedForwardLayer extends Module {
        final RmsNorm layerNorm;
        private final DenseReluDense dense;

        FeedForwardLayer(T5Config c) {
            dense = child("DenseReluDense", new DenseReluDense(c));
            layerNorm = child("layer_norm", new RmsNorm(c.dModel(), (float) c.layerNormEpsilon()));
        }

        NDArray forward(NDArray x) {
            return dense.forward(x);
        }
    }

    static final class DenseReluDense extends Module {
        private final T5Config config;
        private final Linear wi0;
        private final Linear wi1;
        private final Linear wo;

        DenseReluDense(T5Config c) {
            this.config = c;
            if (c.gatedAct()) {
                wi0 = child("wi_0", new Linear(c.dModel(), c.dFf(), false));
                wi1 = child("wi_1", new Linear(c.dModel(), c.dFf(), false));
            } else {
                wi0 = child("wi", new Linear(c.dModel(), c.dFf(), false));
                wi1 = null;
            }
            wo = child("wo", new Linear(c.dFf(), c.dModel(), false));
        }

        private NDArray act(NDArray x) {
            return config.denseActFn().equals("relu") ? x.maximum(0f) : Activations.geluTanh(x);
        }

        NDArray forward(NDArray x) {
            NDArray h = act(wi0.forward(x));
            if (wi1 != null) {
                h = h.mul(wi1.forward(x));
            }
            return wo.forward(h);
        }
    }

    /** The tensors with the tied copy {@code encoder.embed_tokens.weight} served as {@code shared.weight}. */
    private static WeightSource tiedCopyAsShared(WeightSource src) {
        String tied = "encoder.embed_tokens.weight";
        if (!src.names().contains(tied)) {
            throw new CheckpointException(src.describe() + ": missing tensor shared.weight");
        }
        Map<String, String> names = new LinkedHashMap<>();
        src.names().stream().filter(n -> !n.equals(tied)).forEach(n -> names.put(n, n));
        names.put("shared.weight", tied);
        return new RenamedWeights(src, names);
    }

    /** Published names of the parameters, for tools that list them. */
    public List<String> parameterNames() {
        return List.copyOf(namedParameters().keySet());
    }
}

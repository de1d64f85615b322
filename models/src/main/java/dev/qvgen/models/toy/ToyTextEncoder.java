package dev.qvgen.models.toy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.nn.Activations;
import dev.qvgen.layers.nn.LayerNorm;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;

/**
 * The toy world's text encoder: token + position embeddings and one residual MLP. Padding
 * (id 0) is encoded like any token, so the empty prompt of guidance's unconditional branch is a
 * learned embedding; exact-zero text states made the cross-attention gradients overflow in
 * training (measured: infinite gradient norm at step 6).
 */
public final class ToyTextEncoder extends Module {
    private final ToyTextEncoderConfig config;
    private final Parameter tokenEmbedding;
    private final Parameter positionEmbedding;
    private final LayerNorm norm;
    private final Linear fc1;
    private final Linear fc2;

    public ToyTextEncoder(ToyTextEncoderConfig c) {
        this.config = c;
        tokenEmbedding = param("token_embedding", new Shape(c.vocabSize(), c.dim()));
        positionEmbedding = param("position_embedding", new Shape(c.maxLength(), c.dim()));
        norm = child("norm", new LayerNorm(c.dim(), 1e-6f, true));
        fc1 = child("fc1", new Linear(c.dim(), 2 * c.dim(), true));
        fc2 = child("fc2", new Linear(2 * c.dim(), c.dim(), true));
    }

    public ToyTextEncoderConfig config() {
        return config;
    }

    /** @param ids (B, maxLength) int64 token ids, 0 = padding; @return (B, maxLength, dim) */
    public NDArray forward(NDArray ids) {
        NDArray oneHot = ids.oneHot(config.vocabSize()).toType(DataType.FLOAT32, false);
        NDArray h = oneHot.matMul(tokenEmbedding.getArray()).add(positionEmbedding.getArray());
        return h.add(fc2.forward(Activations.geluTanh(fc1.forward(norm.forward(h)))));
    }
}

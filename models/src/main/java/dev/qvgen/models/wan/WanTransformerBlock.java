package dev.qvgen.models.wan;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.nn.FeedForward;
import dev.qvgen.layers.nn.LayerNorm;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.Precision;
import dev.qvgen.layers.nn.Scalars;
import dev.qvgen.layers.nn.Scopes;

/** One Wan block: modulated self-attention with RoPE, cross-attention to text, modulated FFN. */
public final class WanTransformerBlock extends Module {
    private final LayerNorm norm1;
    private final WanAttention attn1;
    private final WanAttention attn2;
    private final LayerNorm norm2;
    private final FeedForward ffn;
    private final LayerNorm norm3;
    private final Parameter scaleShiftTable;

    public WanTransformerBlock(WanConfig c) {
        int dim = c.innerDim();
        float eps = (float) c.eps();
        norm1 = new LayerNorm(dim, eps, false);
        attn1 = child("attn1", new WanAttention(dim, c.numAttentionHeads(), eps));
        attn2 = child("attn2", new WanAttention(dim, c.numAttentionHeads(), eps));
        norm2 = c.crossAttnNorm() ? child("norm2", new LayerNorm(dim, eps, true)) : null;
        ffn = child("ffn", new FeedForward(dim, c.ffnDim()));
        norm3 = new LayerNorm(dim, eps, false);
        scaleShiftTable = param("scale_shift_table", new Shape(1, 6, dim));
    }

    /**
     * @param x video tokens (B, L, dim)
     * @param context embedded text (B, S, dim)
     * @param timestepProj (B, 6, dim)
     */
    public NDArray forward(NDArray x, NDArray context, NDArray timestepProj, NDArray ropeCos, NDArray ropeSin) {
        NDList mod = scaleShiftTable.getArray().add(timestepProj).split(6, 1);
        NDArray shiftMsa = mod.get(0);
        NDArray scaleMsa = mod.get(1);
        NDArray gateMsa = mod.get(2);
        NDArray cShift = mod.get(3);
        NDArray cScale = mod.get(4);
        NDArray cGate = mod.get(5);

        // In half runs the table (kept float32) makes the modulation float32, and diffusers norms,
        // modulates and adds the gated residuals in float32, casting back after each: the same
        // here. In float32 runs every cast is a no-op.
        // Each residual update runs in its own scope, so its intermediates (q, k, v, the FFN's
        // 8960-wide activations) are freed before the next one starts, as eager PyTorch frees them.
        NDArray x0 = x;
        NDArray x1 = Scopes.scoped(() -> {
            NDArray h = Precision.like(norm1.forward(f32(x0)).mul(Scalars.add(scaleMsa, 1f)).add(shiftMsa), x0);
            return Precision.like(f32(x0).add(attn1.forward(h, null, ropeCos, ropeSin).mul(gateMsa)), x0);
        });
        NDArray x2 = Scopes.scoped(() -> {
            NDArray h = norm2 == null ? x1 : Precision.like(norm2.forward(f32(x1)), x1);
            return x1.add(attn2.forward(h, context, null, null));
        });
        return Scopes.scoped(() -> {
            NDArray h = Precision.like(norm3.forward(f32(x2)).mul(Scalars.add(cScale, 1f)).add(cShift), x2);
            return Precision.like(f32(x2).add(f32(ffn.forward(h)).mul(cGate)), x2);
        });
    }

    private static NDArray f32(NDArray a) {
        return a.toType(DataType.FLOAT32, false);
    }
}

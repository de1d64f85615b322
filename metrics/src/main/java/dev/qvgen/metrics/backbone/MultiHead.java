package dev.qvgen.metrics.backbone;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.Scalars;

import java.util.function.UnaryOperator;

/** Multi-head attention from a fused (B, N, 3*D) q|k|v projection, as both DINO and CLIP compute it. */
final class MultiHead {
    private MultiHead() {}

    /**
     * @param qkv  (B, N, 3*D): q, k and v side by side (DINO's qkv Linear, CLIP's in_proj)
     * @param mask additive (N, N) mask or null
     * @return (B, N, D), heads concatenated in order
     */
    static NDArray attend(NDArray qkv, int heads, NDArray mask) {
        Shape s = qkv.getShape();
        long b = s.get(0);
        long n = s.get(1);
        long dim = s.get(2) / 3;
        long headDim = dim / heads;
        NDArray split = qkv.reshape(b, n, 3, heads, headDim).transpose(2, 0, 3, 1, 4);
        NDArray q = split.get(0);
        NDArray k = split.get(1);
        NDArray v = split.get(2);
        NDArray scores = Scalars.mul(q.matMul(k.swapAxes(-1, -2)), (float) (1.0 / Math.sqrt(headDim)));
        if (mask != null) {
            scores = scores.add(mask);
        }
        return scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(b, n, dim);
    }

    /**
     * Runs one layer with its intermediates in a sub-manager that is closed right after, keeping
     * only the output: without this a batch of ViT-B frames holds every layer's activations
     * (gigabytes) until the caller's manager closes.
     */
    static NDArray scoped(NDArray x, UnaryOperator<NDArray> layer) {
        NDManager owner = x.getManager();
        try (NDManager sub = owner.newSubManager()) {
            x.tempAttach(sub);
            NDArray y = layer.apply(x);
            y.attach(owner);
            return y;
        }
    }

    /** Non-overlapping p x p patches of (B, C, H, W) as (B, (H/p)*(W/p), C*p*p), in Conv2d's weight order. */
    static NDArray patchify(NDArray x, int patch) {
        Shape s = x.getShape();
        long b = s.get(0);
        long c = s.get(1);
        long hp = s.get(2) / patch;
        long wp = s.get(3) / patch;
        if (hp * patch != s.get(2) || wp * patch != s.get(3)) {
            // a stride-p convolution ignores the remainder rows and columns
            x = x.get(":, :, :" + hp * patch + ", :" + wp * patch);
        }
        return x.reshape(b, c, hp, patch, wp, patch).transpose(0, 2, 4, 1, 3, 5).reshape(b, hp * wp, c * patch * patch);
    }
}

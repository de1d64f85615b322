package dev.qvgen.models.nn;

import ai.djl.ndarray.NDArray;

/** Scaled dot-product attention on (B, H, L, D) tensors. */
public final class Attention {
    private Attention() {}

    public static NDArray scaledDotProduct(NDArray q, NDArray k, NDArray v) {
        long d = q.getShape().get(q.getShape().dimension() - 1);
        NDArray scores = Scalars.mul(q.matMul(k.swapAxes(-1, -2)), (float) (1.0 / Math.sqrt(d)));
        return scores.softmax(-1).matMul(v);
    }
}

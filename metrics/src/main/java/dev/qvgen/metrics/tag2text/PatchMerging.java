package dev.qvgen.metrics.tag2text;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.LayerNorm;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;

/** Swin's PatchMerging: each 2 x 2 neighbourhood becomes one token of 4C features, normed, then C -> 2C. */
final class PatchMerging extends Module {
    private final int resolution;
    private final LayerNorm norm;
    private final Linear reduction;

    PatchMerging(int resolution, int dim) {
        this.resolution = resolution;
        reduction = child("reduction", new Linear(4 * dim, 2 * dim, false));
        norm = child("norm", new LayerNorm(4 * dim, SwinTransformer.EPS, true));
    }

    /** (B, H*W, C) -> (B, H/2*W/2, 2C). */
    NDArray forward(NDArray x) {
        long b = x.getShape().get(0);
        long c = x.getShape().get(2);
        long half = resolution / 2;
        // The reference concatenates x[0::2, 0::2], x[1::2, 0::2], x[0::2, 1::2], x[1::2, 1::2]:
        // the row parity varies fastest, so the (column parity, row parity, channel) order is one transpose.
        NDArray merged = x.reshape(b, half, 2, half, 2, c).transpose(0, 1, 3, 4, 2, 5).reshape(b, half * half, 4 * c);
        return reduction.forward(norm.forward(merged));
    }
}

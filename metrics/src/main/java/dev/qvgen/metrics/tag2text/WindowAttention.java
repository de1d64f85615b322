package dev.qvgen.metrics.tag2text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.Scalars;

/**
 * Swin's WindowAttention: multi-head self-attention inside each window with a learnt bias per
 * (relative offset, head). The bias (and a shifted block's mask) rule out the fused
 * scaled-dot-product kernel, so the scores are spelled out.
 */
final class WindowAttention extends Module {
    private final int heads;
    private final int window;
    private final float scale;
    private final Linear qkv;
    private final Parameter biasTable;
    private final Linear proj;
    private final long[] relativeIndex;

    WindowAttention(int dim, int window, int heads) {
        this.heads = heads;
        this.window = window;
        this.scale = (float) Math.pow(dim / heads, -0.5);
        qkv = child("qkv", new Linear(dim, 3 * dim, true));
        biasTable = param("relative_position_bias_table", new Shape(tableRows(window), heads));
        proj = child("proj", new Linear(dim, dim, true));
        relativeIndex = SwinWindows.relativePositionIndex(window);
    }

    /** Rows of the bias table: one per offset in [-(w-1), w-1]^2. */
    static long tableRows(int window) {
        return (2L * window - 1) * (2L * window - 1);
    }

    int window() {
        return window;
    }

    /**
     * @param x    windows (B * nW, N, C), N = window^2
     * @param mask (1, nW, 1, N, N) or null
     */
    NDArray forward(NDArray x, NDArray mask) {
        Shape s = x.getShape();
        long bw = s.get(0);
        long n = s.get(1);
        long c = s.get(2);
        NDArray split = qkv.forward(x).reshape(bw, n, 3, heads, c / heads).transpose(2, 0, 3, 1, 4);
        // q is scaled before the product, as in the reference (not the scores after it)
        NDArray q = Scalars.mul(split.get(0), scale);
        NDArray scores = q.matMul(split.get(1).transpose(0, 1, 3, 2)).add(positionBias(x.getManager()));
        if (mask != null) {
            long windows = mask.getShape().get(1);
            scores = scores.reshape(bw / windows, windows, heads, n, n).add(mask).reshape(bw, heads, n, n);
        }
        NDArray o = scores.softmax(-1).matMul(split.get(2));
        return proj.forward(o.transpose(0, 2, 1, 3).reshape(bw, n, c));
    }

    /** The table's rows for every token pair, (1, heads, N, N). */
    private NDArray positionBias(NDManager manager) {
        int pairs = relativeIndex.length;
        NDArray index = manager.create(relativeIndex, new Shape(pairs, 1)).broadcast(new Shape(pairs, heads));
        long n = (long) window * window;
        return biasTable.getArray().gather(index, 0).transpose(1, 0).reshape(1, heads, n, n);
    }
}

package dev.qvgen.metrics.tag2text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.metrics.backbone.VitMlp;
import dev.qvgen.layers.nn.LayerNorm;
import dev.qvgen.layers.nn.Module;

/** SwinTransformerBlock: pre-norm (shifted-)window attention and MLP, each residual. */
final class SwinBlock extends Module {
    private final int resolution;
    private final int window;
    private final int shift;
    private final LayerNorm norm1;
    private final WindowAttention attn;
    private final LayerNorm norm2;
    private final VitMlp mlp;
    /** (nW, N, N) flattened, or null for an unshifted block. */
    private final float[] mask;

    /**
     * @param shifted whether this is an odd block of its stage; a stage no larger than one window
     *                has a single window, so nothing is shifted and the window shrinks to the stage
     */
    SwinBlock(int dim, int resolution, int heads, int window, boolean shifted) {
        this.resolution = resolution;
        this.window = Math.min(window, resolution);
        this.shift = resolution <= window || !shifted ? 0 : window / 2;
        norm1 = child("norm1", new LayerNorm(dim, SwinTransformer.EPS, true));
        attn = child("attn", new WindowAttention(dim, this.window, heads));
        norm2 = child("norm2", new LayerNorm(dim, SwinTransformer.EPS, true));
        mlp = child("mlp", new VitMlp(dim, SwinTransformer.MLP_RATIO * dim));
        mask = shift > 0 ? SwinWindows.shiftMask(resolution, resolution, this.window, shift) : null;
    }

    int window() {
        return window;
    }

    int shift() {
        return shift;
    }

    /** (B, H*W, C) -> (B, H*W, C). */
    NDArray forward(NDArray x) {
        Shape s = x.getShape();
        long b = s.get(0);
        long c = s.get(2);
        int r = resolution;
        NDArray grid = norm1.forward(x).reshape(b, r, r, c);
        if (shift > 0) {
            grid = SwinWindows.roll(grid, shift);
        }
        NDArray windows = SwinWindows.partition(grid, window);
        NDArray m = null;
        if (mask != null) {
            long n = (long) window * window;
            m = x.getManager().create(mask, new Shape(1, mask.length / (n * n), 1, n, n));
        }
        NDArray attended = SwinWindows.reverse(attn.forward(windows, m), window, r, r);
        if (shift > 0) {
            attended = SwinWindows.roll(attended, -shift);
        }
        x = x.add(attended.reshape(b, (long) r * r, c));
        return x.add(mlp.forward(norm2.forward(x)));
    }
}

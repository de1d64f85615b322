package dev.qvgen.metrics.amt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;
import java.util.ArrayList;
import java.util.List;

/**
 * AMT's BidirCorrBlock (networks/blocks/raft.py): the all-pairs correlation of the two frames'
 * features, kept both ways round (frame 0 against frame 1 and its transpose), each average-pooled
 * into a pyramid and looked up in a (2r+1)² window around a position per pixel.
 */
final class BidirCorr {
    private final List<NDArray> pyramid = new ArrayList<>();
    private final List<NDArray> pyramidT = new ArrayList<>();
    private final int levels;
    private final int radius;
    private final int height;
    private final int width;

    /** fmap0, fmap1: (1, C, h, w). */
    BidirCorr(NDArray fmap0, NDArray fmap1, int levels, int radius) {
        Shape s = fmap0.getShape();
        if (s.get(0) != 1) {
            throw new IllegalArgumentException("AMT correlation expects a batch of 1, got " + s);
        }
        this.levels = levels;
        this.radius = radius;
        int dim = (int) s.get(1);
        height = (int) s.get(2);
        width = (int) s.get(3);
        int hw = height * width;
        NDArray f0 = fmap0.reshape(dim, hw);
        NDArray f1 = fmap1.reshape(dim, hw);
        // torch divides by sqrt(torch.tensor(dim).float()), a float32 square root
        float norm = (float) Math.sqrt(dim);
        NDArray corr = f0.transpose().matMul(f1).div(norm);
        NDArray corrT = corr.transpose().reshape(hw, 1, height, width);
        corr = corr.reshape(hw, 1, height, width);
        pyramid.add(corr);
        pyramidT.add(corrT);
        for (int i = 1; i < levels; i++) {
            corr = pool(corr);
            corrT = pool(corrT);
            pyramid.add(corr);
            pyramidT.add(corrT);
        }
    }

    private static NDArray pool(NDArray x) {
        return Pool.avgPool2d(x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false, true);
    }

    /**
     * Looks up frame-0 rows at {@code coords0} and transposed rows at {@code coords1}, both
     * (1, 2, h, w) pixel positions (x, y); returns the two (1, levels*(2r+1)², h, w) features
     * concatenated along channels.
     */
    NDArray lookup(NDArray coords0, NDArray coords1) {
        return Layers.scoped(() -> lookup(pyramid, coords0).concat(lookup(pyramidT, coords1), 1));
    }

    private NDArray lookup(List<NDArray> levelsOf, NDArray coords) {
        NDManager manager = coords.getManager();
        int n = height * width;
        int window = 2 * radius + 1;
        NDArray cx = coords.get(0, 0).reshape(n, 1, 1);
        NDArray cy = coords.get(0, 1).reshape(n, 1, 1);
        // meshgrid(dy, dx) stacked as (dy, dx) is added to (x, y): the first window axis moves x
        NDArray offsets = manager.arange(-radius, radius + 1, 1f, DataType.FLOAT32);
        NDArray dxs = offsets.reshape(1, window, 1);
        NDArray dys = offsets.reshape(1, 1, window);
        NDList out = new NDList();
        for (int i = 0; i < levels; i++) {
            float scale = 1f / (1 << i);
            NDArray x = cx.mul(scale).add(dxs).broadcast(n, window, window).reshape(n, window * window);
            NDArray y = cy.mul(scale).add(dys).broadcast(n, window, window).reshape(n, window * window);
            out.add(Sampling.sampleZeros(levelsOf.get(i), x, y).reshape(1, height, width, window * window));
        }
        return NDArrays.concat(out, 3).transpose(0, 3, 1, 2);
    }
}

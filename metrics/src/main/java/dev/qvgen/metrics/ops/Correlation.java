package dev.qvgen.metrics.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;
import java.util.List;

/**
 * The pieces RAFT's CorrBlock (corr.py) and AMT's BidirCorrBlock share: the all-pairs
 * correlation of two feature maps, its 2x2 average pooling into a pyramid, and the lookup of a
 * (2r+1)² window around a position per pixel.
 */
public final class Correlation {
    private Correlation() {}

    /**
     * f0, f1: (C, h*w) features; returns the (h*w, h*w) matrix {@code f0^T f1 / sqrt(C)}, divided
     * by the float32 square root as torch does.
     */
    public static NDArray allPairs(NDArray f0, NDArray f1) {
        int dim = (int) f0.getShape().get(0);
        return f0.transpose().matMul(f1).div((float) Math.sqrt(dim));
    }

    /** {@code F.avg_pool2d(x, 2, stride=2)}: one pyramid level down. */
    public static NDArray pool(NDArray x) {
        return Pool.avgPool2d(x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false, true);
    }

    /**
     * Looks up every level of {@code pyramid} (level i: (h*w, 1, h/2^i, w/2^i)) in a (2r+1)²
     * window around {@code coords / 2^i}; coords (1, 2, h, w) are pixel positions (x, y).
     * Returns (1, levels*(2r+1)², h, w), level-major.
     */
    public static NDArray lookup(List<NDArray> pyramid, NDArray coords, int radius, int height, int width) {
        NDManager manager = coords.getManager();
        int n = height * width;
        int window = 2 * radius + 1;
        NDArray cx = coords.get(0, 0).reshape(n, 1, 1);
        NDArray cy = coords.get(0, 1).reshape(n, 1, 1);
        // torch.meshgrid(dy, dx) stacked as (dy, dx) is added to (x, y): the first window axis
        // moves x and the second moves y, and channels are ordered (first axis, second axis).
        NDArray offsets = manager.arange(-radius, radius + 1, 1f, DataType.FLOAT32);
        NDArray dxs = offsets.reshape(1, window, 1);
        NDArray dys = offsets.reshape(1, 1, window);
        NDList levels = new NDList();
        for (int i = 0; i < pyramid.size(); i++) {
            float scale = 1f / (1 << i);
            NDArray x = cx.mul(scale).add(dxs).broadcast(n, window, window).reshape(n, window * window);
            NDArray y = cy.mul(scale).add(dys).broadcast(n, window, window).reshape(n, window * window);
            levels.add(GridSample.bilinearZeros(pyramid.get(i), x, y).reshape(1, height, width, window * window));
        }
        return NDArrays.concat(levels, 3).transpose(0, 3, 1, 2);
    }
}

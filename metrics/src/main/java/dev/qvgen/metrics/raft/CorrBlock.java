package dev.qvgen.metrics.raft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;
import java.util.ArrayList;
import java.util.List;

/**
 * RAFT's CorrBlock (corr.py): the all-pairs correlation volume of two feature maps, average-pooled
 * into a 4-level pyramid, looked up in a (2r+1)² window around each pixel's current match.
 *
 * <p>RAFT samples with {@code grid_sample(align_corners=True)} after normalising pixel
 * coordinates by {@code W-1}; {@link #bilinear} does the same gather and weighting with array
 * ops, including that round trip, so that a pyramid level one pixel wide or high yields NaN as
 * PyTorch does (RAFT's coarsest level is 1 pixel when the padded frame side is under 128).
 */
final class CorrBlock {
    static final int LEVELS = 4;
    static final int RADIUS = 4;
    static final int WINDOW = 2 * RADIUS + 1;
    static final int PLANES = LEVELS * WINDOW * WINDOW;

    private final List<NDArray> pyramid = new ArrayList<>();
    private final int height;
    private final int width;

    /** fmap1, fmap2: (1, C, h, w). */
    CorrBlock(NDArray fmap1, NDArray fmap2) {
        Shape s = fmap1.getShape();
        if (s.get(0) != 1) {
            throw new IllegalArgumentException("RAFT correlation expects a batch of 1, got " + s);
        }
        int dim = (int) s.get(1);
        height = (int) s.get(2);
        width = (int) s.get(3);
        int hw = height * width;
        NDArray f1 = fmap1.reshape(dim, hw);
        NDArray f2 = fmap2.reshape(dim, hw);
        // corr / sqrt(dim): dim is 256, a power of 4, so the divisor is exact as in torch.
        NDArray corr = f1.transpose().matMul(f2).div((float) Math.sqrt(dim)).reshape(hw, 1, height, width);
        pyramid.add(corr);
        for (int i = 1; i < LEVELS; i++) {
            corr = Pool.avgPool2d(corr, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false, true);
            pyramid.add(corr);
        }
    }

    /** coords: (1, 2, h, w) pixel positions (x, y) in frame 2; returns (1, 324, h, w). */
    NDArray lookup(NDArray coords) {
        NDManager manager = coords.getManager();
        int n = height * width;
        NDArray cx = coords.get(0, 0).reshape(n, 1, 1);
        NDArray cy = coords.get(0, 1).reshape(n, 1, 1);
        // torch.meshgrid(dy, dx) stacked as (dy, dx) is added to (x, y): the first window axis
        // moves x and the second moves y, and channels are ordered (first axis, second axis).
        NDArray offsets = manager.arange(-RADIUS, RADIUS + 1, 1f, DataType.FLOAT32);
        NDArray dxs = offsets.reshape(1, WINDOW, 1);
        NDArray dys = offsets.reshape(1, 1, WINDOW);
        NDList levels = new NDList();
        for (int i = 0; i < LEVELS; i++) {
            float scale = 1f / (1 << i);
            NDArray x = cx.mul(scale).add(dxs).broadcast(n, WINDOW, WINDOW).reshape(n, WINDOW * WINDOW);
            NDArray y = cy.mul(scale).add(dys).broadcast(n, WINDOW, WINDOW).reshape(n, WINDOW * WINDOW);
            levels.add(bilinear(pyramid.get(i), x, y).reshape(1, height, width, WINDOW * WINDOW));
        }
        return NDArrays.concat(levels, 3).transpose(0, 3, 1, 2);
    }

    /**
     * grid_sample(img, grid, mode=bilinear, padding_mode=zeros, align_corners=True) for one
     * channel per batch item: img (n, 1, H, W), x/y (n, k) pixel coordinates; returns (n, k).
     */
    static NDArray bilinear(NDArray img, NDArray x, NDArray y) {
        Shape s = img.getShape();
        int n = (int) s.get(0);
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        NDArray flat = img.reshape(n, (long) h * w);
        NDArray ix = alignCornersRoundTrip(x, w);
        NDArray iy = alignCornersRoundTrip(y, h);
        NDArray x0 = ix.floor();
        NDArray y0 = iy.floor();
        NDArray wx = ix.sub(x0);
        NDArray wy = iy.sub(y0);
        NDArray ex = wx.neg().add(1f);
        NDArray ey = wy.neg().add(1f);
        NDArray x1 = x0.add(1f);
        NDArray y1 = y0.add(1f);
        // PyTorch's order: nw*(1-wx)(1-wy) + ne*wx(1-wy) + sw*(1-wx)wy + se*wx*wy
        NDArray out = corner(flat, x0, y0, w, h).mul(ey.mul(ex));
        out = out.add(corner(flat, x1, y0, w, h).mul(ey.mul(wx)));
        out = out.add(corner(flat, x0, y1, w, h).mul(wy.mul(ex)));
        return out.add(corner(flat, x1, y1, w, h).mul(wy.mul(wx)));
    }

    /**
     * RAFT's {@code 2*x/(W-1) - 1} followed by grid_sample's {@code (g+1)/2*(W-1)}: the identity
     * up to rounding, but NaN for W == 1 (division by zero), as in the reference.
     */
    private static NDArray alignCornersRoundTrip(NDArray coord, int size) {
        float span = size - 1;
        NDArray normalised = coord.mul(2f).div(span).sub(1f);
        return normalised.add(1f).div(2f).mul(span);
    }

    /** Values at integer positions (x, y) of each row of flat (n, H*W); 0 outside (and NaN positions). */
    private static NDArray corner(NDArray flat, NDArray x, NDArray y, int w, int h) {
        NDArray inside = x.gte(0f).logicalAnd(x.lte(w - 1f)).logicalAnd(y.gte(0f)).logicalAnd(y.lte(h - 1f));
        NDArray zero = x.zerosLike();
        NDArray safeX = NDArrays.where(inside, x, zero);
        NDArray safeY = NDArrays.where(inside, y, zero);
        NDArray index = safeY.mul((float) w).add(safeX).toType(DataType.INT64, false);
        return flat.gather(index, 1).mul(inside.toType(DataType.FLOAT32, false));
    }
}

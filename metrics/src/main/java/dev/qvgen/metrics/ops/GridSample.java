package dev.qvgen.metrics.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * {@code grid_sample} as RAFT's and AMT's {@code bilinear_sampler} call it, written with array ops
 * (DJL has no grid_sample).
 */
public final class GridSample {
    private GridSample() {}

    /**
     * {@code grid_sample(img, grid, mode=bilinear, padding_mode=zeros, align_corners=True)} for one
     * channel per batch item, after bilinear_sampler's {@code 2x/(W-1) - 1} normalisation: img
     * (n, 1, H, W), x/y (n, k) pixel coordinates; returns (n, k). The normalisation round trip
     * is kept so that a level one pixel wide or high yields NaN as PyTorch does (the coarsest
     * correlation level is 1 pixel when the padded frame side is under 128).
     */
    public static NDArray bilinearZeros(NDArray img, NDArray x, NDArray y) {
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
     * {@code 2*x/(W-1) - 1} followed by grid_sample's {@code (g+1)/2*(W-1)}: the identity up to
     * rounding, but NaN for W == 1 (division by zero), as in the reference.
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

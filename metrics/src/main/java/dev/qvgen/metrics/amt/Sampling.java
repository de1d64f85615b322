package dev.qvgen.metrics.amt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import static dev.qvgen.metrics.amt.Layers.scoped;

/** The resampling AMT-S does: bilinear resizing, flow warping, and correlation lookups. */
final class Sampling {
    private Sampling() {}

    /**
     * {@code F.interpolate(x, scale_factor=s, mode="bilinear", align_corners=False)} on (N, C, H, W):
     * output sides floor(side * s), source coordinate {@code (dst + 0.5) / s - 0.5} clamped at 0
     * (ATen uses 1/s when a scale factor is given), the upper tap clamped to the last pixel.
     * Written as two products with interpolation matrices, so each output is the same weighted
     * sum of the same taps as ATen's (up to the order of float additions).
     */
    static NDArray resize(NDArray x, double s) {
        return scoped(() -> resized(x, s));
    }

    private static NDArray resized(NDArray x, double s) {
        Shape shape = x.getShape();
        int h = (int) shape.get(2);
        int w = (int) shape.get(3);
        int outH = (int) Math.floor(h * s);
        int outW = (int) Math.floor(w * s);
        NDManager m = x.getManager();
        NDArray cols = m.create(matrix(w, outW, (float) (1.0 / s)), new Shape(outW, w)).transpose();
        NDArray rows = m.create(matrix(h, outH, (float) (1.0 / s)), new Shape(outH, h));
        return rows.matMul(x.matMul(cols));
    }

    /** (out, in) row-stochastic matrix of ATen's linear taps along one axis. */
    static float[] matrix(int in, int out, float scale) {
        float[] a = new float[out * in];
        for (int d = 0; d < out; d++) {
            float src = Math.max(scale * (d + 0.5f) - 0.5f, 0f);
            int i0 = (int) src;
            int i1 = i0 + (i0 < in - 1 ? 1 : 0);
            float l1 = src - i0;
            float l0 = 1f - l1;
            a[d * in + i0] += l0;
            a[d * in + i1] += l1;
        }
        return a;
    }

    /**
     * flow_utils.warp: samples img (B, C, H, W) at each pixel plus its flow (B, 2, H, W; x then y),
     * as {@code grid_sample(mode=bilinear, padding_mode=border, align_corners=True)} does on the
     * normalised grid {@code linspace(-1, 1) + flow / ((size - 1) / 2)}: positions are clamped to
     * the image, then interpolated between the four neighbours.
     */
    static NDArray warp(NDArray img, NDArray flow) {
        return scoped(() -> warped(img, flow));
    }

    private static NDArray warped(NDArray img, NDArray flow) {
        Shape s = img.getShape();
        int b = (int) s.get(0);
        int c = (int) s.get(1);
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        NDManager m = img.getManager();
        NDArray xs = m.arange(0f, (float) w, 1f, DataType.FLOAT32).reshape(1, 1, w);
        NDArray ys = m.arange(0f, (float) h, 1f, DataType.FLOAT32).reshape(1, h, 1);
        NDArray x = flow.get(":, 0").add(xs).clip(0f, w - 1f).reshape(b, 1, (long) h * w);
        NDArray y = flow.get(":, 1").add(ys).clip(0f, h - 1f).reshape(b, 1, (long) h * w);
        NDArray x0 = x.floor();
        NDArray y0 = y.floor();
        NDArray wx = x.sub(x0);
        NDArray wy = y.sub(y0);
        NDArray ex = wx.neg().add(1f);
        NDArray ey = wy.neg().add(1f);
        // the upper neighbour of the last row/column has weight 0; clamping keeps its index valid
        NDArray x1 = x0.add(1f).minimum(w - 1f);
        NDArray y1 = y0.add(1f).minimum(h - 1f);
        NDArray flat = img.reshape(b, c, (long) h * w);
        Shape full = new Shape(b, c, (long) h * w);
        NDArray out = tap(flat, x0, y0, w, full).mul(ey.mul(ex));
        out = out.add(tap(flat, x1, y0, w, full).mul(ey.mul(wx)));
        out = out.add(tap(flat, x0, y1, w, full).mul(wy.mul(ex)));
        out = out.add(tap(flat, x1, y1, w, full).mul(wy.mul(wx)));
        return out.reshape(s);
    }

    private static NDArray tap(NDArray flat, NDArray x, NDArray y, int w, Shape full) {
        NDArray index = y.mul((float) w).add(x).toType(DataType.INT64, false).broadcast(full);
        return flat.gather(index, 2);
    }

    /** raft.py coords_grid for a batch of 1: (1, 2, h, w), channel 0 is x (column), 1 is y (row). */
    static NDArray coordsGrid(NDManager manager, int h, int w) {
        NDArray xs = manager.arange(0f, (float) w, 1f, DataType.FLOAT32).reshape(1, w).broadcast(h, w);
        NDArray ys = manager.arange(0f, (float) h, 1f, DataType.FLOAT32).reshape(h, 1).broadcast(h, w);
        return NDArrays.stack(new NDList(xs, ys), 0).expandDims(0);
    }
}

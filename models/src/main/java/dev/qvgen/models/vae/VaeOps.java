package dev.qvgen.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import java.util.function.UnaryOperator;

import dev.qvgen.layers.nn.Scalars;

/** Tensor helpers shared by the video VAEs (layout (B, C, T, H, W) unless said otherwise). */
public final class VaeOps {
    private VaeOps() {}

    /** {@code x[..., from:to, ...]} along {@code axis}; negative bounds count from the end. */
    public static NDArray slice(NDArray x, int axis, long from, long to) {
        long n = x.getShape().get(axis);
        long a = Math.max(0, Math.min(n, from < 0 ? n + from : from));
        long b = Math.max(a, Math.min(n, to < 0 ? n + to : to));
        return x.get(NDIndex.sliceAxis(axis, a, b));
    }

    /** The last {@code k} frames (axis 2) as a compact copy, as torch's {@code x[:, :, -k:].clone()}. */
    public static NDArray lastFrames(NDArray x, int k) {
        long t = x.getShape().get(2);
        try (NDArray view = slice(x, 2, Math.max(0, t - k), t)) {
            return view.duplicate();
        }
    }

    public static NDArray concat(int axis, NDArray... parts) {
        return NDArrays.concat(new NDList(parts), axis);
    }

    /** Zero padding of {@code before} and {@code after} entries along {@code axis} (F.pad, constant 0). */
    public static NDArray padZeros(NDArray x, int axis, long before, long after) {
        if (before == 0 && after == 0) {
            return x;
        }
        NDList parts = new NDList();
        if (before > 0) {
            parts.add(x.getManager().zeros(withAxis(x.getShape(), axis, before), x.getDataType()));
        }
        parts.add(x);
        if (after > 0) {
            parts.add(x.getManager().zeros(withAxis(x.getShape(), axis, after), x.getDataType()));
        }
        return NDArrays.concat(parts, axis);
    }

    private static Shape withAxis(Shape s, int axis, long size) {
        long[] d = s.getShape();
        d[axis] = size;
        return new Shape(d);
    }

    /**
     * Applies a 2D (image) operation to every frame: (B, C, T, H, W) → (B·T, C, H, W) → f →
     * (B, C', T, H', W').
     */
    public static NDArray perFrame(NDArray x, UnaryOperator<NDArray> f) {
        Shape s = x.getShape();
        long b = s.get(0);
        long t = s.get(2);
        NDArray frames = x.transpose(0, 2, 1, 3, 4).reshape(b * t, s.get(1), s.get(3), s.get(4));
        NDArray y = f.apply(frames);
        Shape o = y.getShape();
        return y.reshape(b, t, o.get(1), o.get(2), o.get(3)).transpose(0, 2, 1, 3, 4);
    }

    /**
     * Nearest-neighbour resize of one axis to {@code outSize}, torch's {@code mode="nearest"}
     * (source index {@code floor(i · in / out)}). An integer up-scaling is a repeat of every entry,
     * which is also what {@code "nearest-exact"} gives for a factor of 2.
     */
    public static NDArray nearestResize(NDArray x, int axis, long outSize) {
        long in = x.getShape().get(axis);
        if (in == outSize) {
            return x;
        }
        if (outSize % in == 0) {
            return x.repeat(axis, outSize / in);
        }
        float scale = (float) in / outSize;
        NDList parts = new NDList();
        long runSrc = -1;
        long runLen = 0;
        for (long i = 0; i < outSize; i++) {
            long src = Math.min((long) Math.floor(i * scale), in - 1);
            if (src != runSrc && runLen > 0) {
                parts.add(slice(x, axis, runSrc, runSrc + 1).repeat(axis, runLen));
                runLen = 0;
            }
            if (runLen == 0) {
                runSrc = src;
            }
            runLen++;
        }
        parts.add(slice(x, axis, runSrc, runSrc + 1).repeat(axis, runLen));
        return NDArrays.concat(parts, axis);
    }

    /** Convolution (rank from the weight), zero padding per spatial axis, groups = 1. */
    public static NDArray conv(NDArray x, NDArray weight, NDArray bias, Shape stride, Shape padding) {
        long[] d = new long[stride.dimension()];
        java.util.Arrays.fill(d, 1);
        return x.getNDArrayInternal().convolution(x, weight, bias, stride, padding, new Shape(d), 1).singletonOrThrow();
    }

    /** Group normalization over (B, C, ...) with per-channel affine weight and bias. */
    public static NDArray groupNorm(NDArray x, int groups, NDArray weight, NDArray bias, float eps) {
        Shape s = x.getShape();
        long b = s.get(0);
        long c = s.get(1);
        NDArray g = x.reshape(b, groups, -1);
        NDArray mean = g.mean(new int[] {2}, true);
        NDArray centered = g.sub(mean);
        NDArray var = centered.square().mean(new int[] {2}, true);
        NDArray normed = centered.div(Scalars.add(var, eps).sqrt()).reshape(s);
        long[] cs = new long[s.dimension()];
        java.util.Arrays.fill(cs, 1);
        cs[1] = c;
        Shape affine = new Shape(cs);
        return normed.mul(weight.reshape(affine)).add(bias.reshape(affine));
    }

    /**
     * diffusers' {@code blend_v}/{@code blend_h}: the first {@code extent} rows (or columns) of
     * tile {@code b} fade linearly from the last rows of tile {@code a} (weight 1 − y/extent) to
     * {@code b} (weight y/extent). Returns the blended {@code b}; {@code axis} is 3 (H) or 4 (W).
     */
    public static NDArray blend(NDArray a, NDArray b, int axis, int extent) {
        int e = (int) Math.min(Math.min(a.getShape().get(axis), b.getShape().get(axis)), extent);
        if (e <= 0) {
            return b;
        }
        float[] wb = new float[e];
        float[] wa = new float[e];
        for (int y = 0; y < e; y++) {
            wb[y] = (float) ((double) y / e);
            wa[y] = (float) (1 - (double) y / e);
        }
        long[] ws = new long[b.getShape().dimension()];
        java.util.Arrays.fill(ws, 1);
        ws[axis] = e;
        long na = a.getShape().get(axis);
        NDArray aTail = slice(a, axis, na - e, na);
        NDArray bHead = slice(b, axis, 0, e);
        NDArray mixed = aTail.mul(a.getManager().create(wa, new Shape(ws)))
                .add(bHead.mul(b.getManager().create(wb, new Shape(ws))));
        NDArray rest = slice(b, axis, e, b.getShape().get(axis));
        return concat(axis, mixed, rest);
    }
}

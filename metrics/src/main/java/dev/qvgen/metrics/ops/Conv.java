package dev.qvgen.metrics.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import dev.qvgen.layers.nn.Module;

/**
 * torch.nn.Conv2d with bias, as the RAFT and AMT-S ports load it: weight (out, in, kh, kw),
 * symmetric padding, no dilation or groups; parameters named {@code weight} and {@code bias} as
 * in their state dicts.
 */
public final class Conv extends Module {
    private final Parameter weight;
    private final Parameter bias;
    private final Shape stride;
    private final Shape padding;

    public Conv(int in, int out, int kernelH, int kernelW, int stride, int padH, int padW) {
        this.weight = param("weight", new Shape(out, in, kernelH, kernelW));
        this.bias = param("bias", new Shape(out));
        this.stride = new Shape(stride, stride);
        this.padding = new Shape(padH, padW);
    }

    /** A square kernel with the same padding on every side. */
    public Conv(int in, int out, int kernel, int stride, int padding) {
        this(in, out, kernel, kernel, stride, padding, padding);
    }

    /** A square kernel with "same" padding (k/2) at the given stride. */
    public static Conv square(int in, int out, int kernel, int stride) {
        return new Conv(in, out, kernel, stride, kernel / 2);
    }

    /** A 3x3 "same" convolution at stride 1. */
    public static Conv same3(int in, int out) {
        return new Conv(in, out, 3, 1, 1);
    }

    public NDArray forward(NDArray x) {
        return Conv2d.conv2d(x, weight.getArray(), bias.getArray(), stride, padding, new Shape(1, 1), 1)
                .singletonOrThrow();
    }
}

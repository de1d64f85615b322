package dev.qvgen.metrics.raft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import dev.qvgen.models.nn.Module;

/** torch.nn.Conv2d with bias: weight (out, in, kh, kw), symmetric padding, no dilation or groups. */
final class Conv extends Module {
    private final Parameter weight;
    private final Parameter bias;
    private final Shape stride;
    private final Shape padding;

    Conv(int in, int out, int kernelH, int kernelW, int stride, int padH, int padW) {
        this.weight = param("weight", new Shape(out, in, kernelH, kernelW));
        this.bias = param("bias", new Shape(out));
        this.stride = new Shape(stride, stride);
        this.padding = new Shape(padH, padW);
    }

    /** A square kernel with "same" padding (k/2) at the given stride. */
    static Conv square(int in, int out, int kernel, int stride) {
        return new Conv(in, out, kernel, kernel, stride, kernel / 2, kernel / 2);
    }

    NDArray forward(NDArray x) {
        return Conv2d.conv2d(x, weight.getArray(), bias.getArray(), stride, padding, new Shape(1, 1), 1)
                .singletonOrThrow();
    }
}

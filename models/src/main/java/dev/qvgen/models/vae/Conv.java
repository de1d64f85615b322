package dev.qvgen.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.nn.Module;

/**
 * torch.nn.Conv2d / Conv3d (groups = 1, with bias): weight (out, in, k...), zero padding given
 * per spatial axis. The rank of the kernel decides the convolution (2 → images, 3 → videos).
 */
public final class Conv extends Module {
    private final int inChannels;
    private final int outChannels;
    private final long[] kernel;
    private final Shape stride;
    private final Shape padding;
    private final Shape dilation;
    private final Parameter weight;
    private final Parameter bias;

    public Conv(int inChannels, int outChannels, long[] kernel, long[] stride, long[] padding) {
        if (kernel.length != stride.length || kernel.length != padding.length) {
            throw new IllegalArgumentException("kernel, stride and padding need the same rank");
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel.clone();
        this.stride = new Shape(stride);
        this.padding = new Shape(padding);
        long[] d = new long[kernel.length];
        java.util.Arrays.fill(d, 1);
        this.dilation = new Shape(d);
        long[] w = new long[kernel.length + 2];
        w[0] = outChannels;
        w[1] = inChannels;
        System.arraycopy(kernel, 0, w, 2, kernel.length);
        this.weight = param("weight", new Shape(w));
        this.bias = param("bias", new Shape(outChannels));
    }

    /** A square 2D convolution. */
    public static Conv conv2d(int in, int out, int k, int stride, int padding) {
        return new Conv(in, out, new long[] {k, k}, new long[] {stride, stride}, new long[] {padding, padding});
    }

    /** A cubic 3D convolution. */
    public static Conv conv3d(int in, int out, int k, int stride, int padding) {
        return new Conv(in, out, new long[] {k, k, k}, new long[] {stride, stride, stride},
                new long[] {padding, padding, padding});
    }

    public NDArray forward(NDArray x) {
        if (x.getShape().dimension() != kernel.length + 2 || x.getShape().get(1) != inChannels) {
            throw new IllegalArgumentException("conv expects (N, " + inChannels + ", ...) of rank "
                    + (kernel.length + 2) + ", got " + x.getShape());
        }
        return x.getNDArrayInternal()
                .convolution(x, weight.getArray(), bias.getArray(), stride, padding, dilation, 1)
                .singletonOrThrow();
    }

    public long[] kernel() {
        return kernel.clone();
    }

    public int inChannels() {
        return inChannels;
    }

    public int outChannels() {
        return outChannels;
    }
}

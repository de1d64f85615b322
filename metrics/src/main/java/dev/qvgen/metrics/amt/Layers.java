package dev.qvgen.metrics.amt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.function.Supplier;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import dev.qvgen.metrics.ops.Conv;
import dev.qvgen.layers.nn.Module;

/** The torch.nn layers AMT-S is built from, with the parameter names of its state dict. */
final class Layers {
    private Layers() {}

    /**
     * Runs {@code body} in its own {@link NDScope}: every array it creates except the result is
     * freed on return, and the result belongs to the enclosing scope (if any). A full-size frame
     * pair makes gigabytes of temporaries otherwise, all held until the pair is done. The body
     * must return arrays it created, never one of its inputs.
     */
    static NDArray scoped(Supplier<NDArray> body) {
        NDArray out;
        try (NDScope scope = new NDScope()) {
            out = body.get();
            NDScope.unregister(out);
        }
        NDScope.register(out);
        return out;
    }

    /** {@link #scoped(Supplier)} for several results (nulls allowed). */
    static NDArray[] scopedAll(Supplier<NDArray[]> body) {
        NDArray[] out;
        try (NDScope scope = new NDScope()) {
            out = body.get();
            for (NDArray a : out) {
                if (a != null) {
                    NDScope.unregister(a);
                }
            }
        }
        for (NDArray a : out) {
            if (a != null) {
                NDScope.register(a);
            }
        }
        return out;
    }

    /**
     * nn.ConvTranspose2d(in, out, 4, 2, 1): weight (in, out, 4, 4); doubles H and W. DJL's PyTorch
     * engine has no transposed convolution, so this is the equivalent direct convolution: zeros
     * inserted after every input pixel, then a stride-1 convolution with the kernel transposed
     * (in/out swapped) and flipped, padding k-1-p = 2, cropped to 2H x 2W. The inserted zeros
     * add exact zeros, so each output is the same sum of products as the transposed convolution.
     */
    static final class ConvTranspose extends Module {
        private final Parameter weight;
        private final Parameter bias;

        ConvTranspose(int in, int out) {
            this.weight = param("weight", new Shape(in, out, 4, 4));
            this.bias = param("bias", new Shape(out));
        }

        NDArray forward(NDArray x) {
            return scoped(() -> transposed(x));
        }

        private NDArray transposed(NDArray x) {
            Shape s = x.getShape();
            long n = s.get(0);
            long c = s.get(1);
            long h = s.get(2);
            long w = s.get(3);
            NDArray cols = x.reshape(n, c, h, w, 1);
            cols = cols.concat(cols.zerosLike(), 4).reshape(n, c, h, 1, 2 * w);
            NDArray dilated = cols.concat(cols.zerosLike(), 3).reshape(n, c, 2 * h, 2 * w);
            NDArray kernel = weight.getArray().transpose(1, 0, 2, 3).flip(2, 3);
            NDArray y = Conv2d.conv2d(dilated, kernel, bias.getArray(), new Shape(1, 1), new Shape(2, 2),
                    new Shape(1, 1), 1).singletonOrThrow();
            return y.get(":, :, 0:" + 2 * h + ", 0:" + 2 * w);
        }
    }

    /** nn.PReLU(channels): one learnt negative slope per channel. */
    static final class PRelu extends Module {
        private final Parameter weight;
        private final int channels;

        PRelu(int channels) {
            this.channels = channels;
            this.weight = param("weight", new Shape(channels));
        }

        NDArray forward(NDArray x) {
            // relu(x) + a * min(x, 0) is exactly torch's where(x >= 0, x, a * x)
            return scoped(() -> x.maximum(0f).add(weight.getArray().reshape(1, channels, 1, 1).mul(x.minimum(0f))));
        }
    }

    /** nn.LeakyReLU(0.1): max(x, 0.1 x) equals x for x >= 0 and 0.1 x otherwise, as torch computes it. */
    static NDArray leakyRelu(NDArray x) {
        return scoped(() -> x.maximum(x.mul(0.1f)));
    }

    /** nn.InstanceNorm2d(affine=False): each (sample, channel) plane by its own mean and biased variance. */
    static NDArray instanceNorm(NDArray x) {
        return scoped(() -> normalise(x));
    }

    private static NDArray normalise(NDArray x) {
        Shape shape = x.getShape();
        NDArray planes = x.reshape(shape.get(0), shape.get(1), -1);
        NDArray centred = planes.sub(planes.mean(new int[] {2}, true));
        NDArray var = centred.square().mean(new int[] {2}, true);
        return centred.div(var.add(1e-5f).sqrt()).reshape(shape);
    }

    /** A holder for nn.Sequential children, named by index; the owner applies them. */
    static final class Seq extends Module {
        <M extends Module> M put(int index, M module) {
            return child(Integer.toString(index), module);
        }
    }

    /** ifrnet.py convrelu: nn.Sequential(Conv2d, PReLU), names {@code 0.*} and {@code 1.*}. */
    static final class ConvRelu extends Module {
        private final Conv conv;
        private final PRelu prelu;

        ConvRelu(int in, int out, int kernel, int stride, int padding) {
            conv = child("0", new Conv(in, out, kernel, stride, padding));
            prelu = child("1", new PRelu(out));
        }

        static ConvRelu same3(int in, int out) {
            return new ConvRelu(in, out, 3, 1, 1);
        }

        NDArray forward(NDArray x) {
            return prelu.forward(conv.forward(x));
        }
    }
}

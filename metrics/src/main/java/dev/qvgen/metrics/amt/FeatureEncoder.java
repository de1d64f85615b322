package dev.qvgen.metrics.amt;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.qvgen.metrics.ops.Conv;
import dev.qvgen.metrics.amt.Layers.Seq;
import dev.qvgen.layers.nn.Module;

/**
 * feat_enc.py SmallEncoder(output_dim=84, norm_fn='instance'): the 1/8-resolution features the
 * correlation volume is built from. Instance norms have no weights, so only convolutions load.
 */
final class FeatureEncoder extends Module {
    private final Conv conv1;
    private final Bottleneck[] blocks = new Bottleneck[6];
    private final Conv conv2;

    FeatureEncoder(int outputDim) {
        conv1 = child("conv1", new Conv(3, 32, 7, 2, 3));
        int[] dims = {32, 64, 96};
        int in = 32;
        for (int layer = 0; layer < 3; layer++) {
            Seq seq = child("layer" + (layer + 1), new Seq());
            int stride = layer == 0 ? 1 : 2;
            blocks[2 * layer] = seq.put(0, new Bottleneck(in, dims[layer], stride));
            blocks[2 * layer + 1] = seq.put(1, new Bottleneck(dims[layer], dims[layer], 1));
            in = dims[layer];
        }
        conv2 = child("conv2", new Conv(96, outputDim, 1, 1, 0));
    }

    /** x: (N, 3, H, W), each sample normalised on its own. */
    NDArray forward(NDArray x) {
        return Layers.scoped(() -> {
            NDArray y = Activation.relu(Layers.instanceNorm(conv1.forward(x)));
            for (Bottleneck b : blocks) {
                y = b.forward(y);
            }
            return conv2.forward(y);
        });
    }

    /** BottleneckBlock: 1x1, 3x3 (strided), 1x1 convolutions with instance norm and ReLU. */
    static final class Bottleneck extends Module {
        private final Conv conv1;
        private final Conv conv2;
        private final Conv conv3;
        private final Conv downsample;

        Bottleneck(int inPlanes, int planes, int stride) {
            conv1 = child("conv1", new Conv(inPlanes, planes / 4, 1, 1, 0));
            conv2 = child("conv2", new Conv(planes / 4, planes / 4, 3, stride, 1));
            conv3 = child("conv3", new Conv(planes / 4, planes, 1, 1, 0));
            if (stride == 1) {
                downsample = null;
            } else {
                // nn.Sequential(Conv2d, InstanceNorm2d): the norm (index 1) has no parameters
                downsample = child("downsample", new Seq()).put(0, new Conv(inPlanes, planes, 1, stride, 0));
            }
        }

        NDArray forward(NDArray x) {
            return Layers.scoped(() -> {
                NDArray y = Activation.relu(Layers.instanceNorm(conv1.forward(x)));
                y = Activation.relu(Layers.instanceNorm(conv2.forward(y)));
                y = Activation.relu(Layers.instanceNorm(conv3.forward(y)));
                NDArray shortcut = downsample == null ? x : Layers.instanceNorm(downsample.forward(x));
                return Activation.relu(shortcut.add(y));
            });
        }
    }
}

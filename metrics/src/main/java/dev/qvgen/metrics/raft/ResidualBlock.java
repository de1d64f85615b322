package dev.qvgen.metrics.raft;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.qvgen.metrics.ops.Conv;
import dev.qvgen.layers.nn.Module;

/**
 * RAFT's extractor ResidualBlock: two 3x3 convolutions with norm and ReLU, plus a strided 1x1
 * projection of the shortcut when the block downsamples. The projection's norm is the same module
 * as {@code norm3}, so a checkpoint holds it twice ({@code norm3.*} and {@code downsample.1.*});
 * only {@code norm3} is registered here and {@link Raft#load} skips the duplicate names.
 */
final class ResidualBlock extends Module {
    private final Conv conv1;
    private final Conv conv2;
    private final Norm2d norm1;
    private final Norm2d norm2;
    private final Conv downsampleConv;
    private final Norm2d norm3;

    ResidualBlock(int inPlanes, int planes, Norm2d.NormKind norm, int stride) {
        conv1 = child("conv1", Conv.square(inPlanes, planes, 3, stride));
        conv2 = child("conv2", Conv.square(planes, planes, 3, 1));
        norm1 = child("norm1", Norm2d.of(norm, planes));
        norm2 = child("norm2", Norm2d.of(norm, planes));
        if (stride == 1) {
            norm3 = null;
            downsampleConv = null;
        } else {
            norm3 = child("norm3", Norm2d.of(norm, planes));
            Sequence downsample = child("downsample", new Sequence());
            downsampleConv = downsample.put(0, new Conv(inPlanes, planes, 1, 1, stride, 0, 0));
        }
    }

    NDArray forward(NDArray x) {
        NDArray y = Activation.relu(norm1.forward(conv1.forward(x)));
        y = Activation.relu(norm2.forward(conv2.forward(y)));
        NDArray shortcut = downsampleConv == null ? x : norm3.forward(downsampleConv.forward(x));
        return Activation.relu(shortcut.add(y));
    }
}

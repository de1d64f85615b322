package dev.qvgen.metrics.raft;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.qvgen.metrics.ops.Conv;
import dev.qvgen.layers.nn.Module;

/**
 * RAFT's BasicEncoder (extractor.py): 7x7 stride-2 stem, three stages of two residual blocks
 * (64, 96 stride 2, 128 stride 2) and a 1x1 output projection, so features are at 1/8 resolution.
 * Dropout is 0 in RAFT's evaluation, so it is absent.
 */
final class BasicEncoder extends Module {
    private final Conv conv1;
    private final Norm2d norm1;
    private final ResidualBlock[] blocks = new ResidualBlock[6];
    private final Conv conv2;

    BasicEncoder(int outputDim, Norm2d.NormKind norm) {
        norm1 = child("norm1", Norm2d.of(norm, 64));
        conv1 = child("conv1", Conv.square(3, 64, 7, 2));
        int[] dims = {64, 96, 128};
        int[] strides = {1, 2, 2};
        int inPlanes = 64;
        for (int layer = 0; layer < 3; layer++) {
            Sequence seq = child("layer" + (layer + 1), new Sequence());
            blocks[2 * layer] = seq.put(0, new ResidualBlock(inPlanes, dims[layer], norm, strides[layer]));
            blocks[2 * layer + 1] = seq.put(1, new ResidualBlock(dims[layer], dims[layer], norm, 1));
            inPlanes = dims[layer];
        }
        conv2 = child("conv2", new Conv(128, outputDim, 1, 1, 1, 0, 0));
    }

    /** (N, 3, H, W) in [-1, 1] to (N, outputDim, H/8, W/8). */
    NDArray forward(NDArray x) {
        NDArray y = Activation.relu(norm1.forward(conv1.forward(x)));
        for (ResidualBlock block : blocks) {
            y = block.forward(y);
        }
        return conv2.forward(y);
    }
}

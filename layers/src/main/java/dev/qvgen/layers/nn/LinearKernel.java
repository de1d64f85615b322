package dev.qvgen.layers.nn;

import ai.djl.ndarray.NDArray;

/**
 * How a {@link Linear} turns its input into its output. The dense product is the default; the
 * quantizer installs fake-quantized kernels here, so it can act on any model's linear layers
 * without knowing the model family.
 */
public interface LinearKernel {
    NDArray apply(Linear layer, NDArray x);

    LinearKernel DENSE = Linear::dense;
}

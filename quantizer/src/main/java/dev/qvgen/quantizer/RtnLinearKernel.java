package dev.qvgen.quantizer;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.LinearKernel;

/**
 * Round-to-nearest post-training quantization of one linear layer: its weight is fake-quantized
 * once (per output channel), its input on every call (per token, dynamic).
 */
public final class RtnLinearKernel implements LinearKernel, AutoCloseable {
    private final NDArray quantizedWeight;
    private final int activationBits;

    public RtnLinearKernel(Linear layer, QuantSpec spec) {
        this.quantizedWeight = UniformQuantizer.weightPerChannel(layer.weight(), spec.weightBits());
        this.activationBits = spec.activationBits();
    }

    @Override
    public NDArray apply(Linear layer, NDArray x) {
        return layer.dense(UniformQuantizer.activationPerToken(x, activationBits), quantizedWeight);
    }

    public NDArray quantizedWeight() {
        return quantizedWeight;
    }

    @Override
    public void close() {
        quantizedWeight.close();
    }
}

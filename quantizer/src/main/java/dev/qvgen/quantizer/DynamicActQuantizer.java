package dev.qvgen.quantizer;

import ai.djl.ndarray.NDArray;

/** Round-to-nearest dynamic per-token activation quantization without clipping (RTN's). */
public record DynamicActQuantizer(int bits) implements ActivationQuantizer {
    @Override
    public NDArray quantize(NDArray x, NDArray timesteps) {
        return UniformQuantizer.activationPerToken(x, bits);
    }
}

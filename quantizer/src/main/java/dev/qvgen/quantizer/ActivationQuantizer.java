package dev.qvgen.quantizer;

import ai.djl.ndarray.NDArray;

/** Fake-quantizes a linear layer's input (per token, over the last axis). */
public interface ActivationQuantizer {
    /**
     * @param x (B, ..., C) activations
     * @param timesteps (B) diffusion timesteps in [0, 1000] of the current forward pass, or null
     */
    NDArray quantize(NDArray x, NDArray timesteps);

    int bits();
}

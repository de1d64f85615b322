package dev.qvgen.quantizer.qat;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Scalars;

/** Straight-through estimator pieces for quantization-aware training. */
public final class Ste {
    private Ste() {}

    /** Rounds in the forward pass; the backward pass sees the identity. */
    public static NDArray round(NDArray x) {
        return x.add(x.round().sub(x).stopGradient());
    }

    /** Leaves the value unchanged but multiplies its gradient by {@code g} (LSQ's step-size gradient scale). */
    public static NDArray scaleGradient(NDArray t, float g) {
        NDArray scaled = Scalars.mul(t, g);
        return scaled.add(t.sub(scaled).stopGradient());
    }
}

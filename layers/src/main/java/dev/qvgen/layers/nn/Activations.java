package dev.qvgen.layers.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/**
 * Activations written with engine-neutral ops so their exact formula is visible (constants via
 * {@link Scalars}); GELU(tanh), the one applied to a block's largest tensor, runs as PyTorch's
 * fused kernel when {@link ScriptedOp#GELU_TANH} is available (one pass instead of nine).
 */
public final class Activations {
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    private Activations() {}

    /** GELU, tanh approximation (torch's approximate="tanh", diffusers' "gelu-approximate"). */
    public static NDArray geluTanh(NDArray x) {
        return ScriptedOp.GELU_TANH.available() ? ScriptedOp.GELU_TANH.apply(x) : geluTanhOps(x);
    }

    /** {@link #geluTanh} spelled with DJL ops: the fallback, and the formula the fused kernel computes. */
    public static NDArray geluTanhOps(NDArray x) {
        NDArray inner = Scalars.mul(x.add(Scalars.mul(x.mul(x).mul(x), 0.044715f)), (float) SQRT_2_OVER_PI);
        return Scalars.mul(x, 0.5f).mul(Scalars.add(inner.tanh(), 1f));
    }

    /** Exact GELU: x * Phi(x). */
    public static NDArray gelu(NDArray x) {
        return Scalars.mul(x, 0.5f).mul(Scalars.add(Scalars.div(x, (float) Math.sqrt(2.0)).erf(), 1f));
    }

    public static NDArray silu(NDArray x) {
        // the sigmoid is freed at once: on the VAE's full-resolution activations it is as large as x
        // (closing a handle leaves autograd's saved tensors alone, see Scopes)
        try (NDArray s = Activation.sigmoid(x)) {
            return x.mul(s);
        }
    }
}

package dev.qvgen.models.vae.wan;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Activations;
import dev.qvgen.layers.nn.Scopes;

import java.util.function.UnaryOperator;

/**
 * How the Wan VAE's stacks free their activations as they go. DJL frees nothing until a scope or
 * manager closes, so a chunk that ran in one scope held every intermediate of every layer until
 * its end: at 480x832 one latent frame's decode (4 output frames, 96-384 channels) kept about 80 GB
 * of float32 activations (measured on the CPU: 0.2 MB per output pixel). PyTorch frees each as its
 * last reference drops; here every layer runs in its own scope ({@link Scopes#scoped}) and the
 * previous activation is closed once the next one exists, so a chunk holds one layer's working
 * set plus the feature cache (the last two frames per causal convolution), as diffusers does.
 */
final class WanSteps {
    private WanSteps() {}

    /**
     * {@code f(x)} in its own scope, then {@code x} closed (unless {@code f} returned it): for an
     * activation this stack made and no longer needs. Views of {@code x} in the result keep their
     * storage, as in PyTorch.
     */
    static NDArray then(NDArray x, UnaryOperator<NDArray> f) {
        NDArray out = Scopes.scoped(() -> f.apply(x));
        if (out != x) {
            x.close();
        }
        return out;
    }

    /** {@code silu(norm(x))} with the normalised array freed once the activation exists. */
    static NDArray normSilu(WanVaeRmsNorm norm, NDArray x) {
        NDArray n = norm.forward(x);
        NDArray out = Activations.silu(n);
        n.close();
        return out;
    }
}

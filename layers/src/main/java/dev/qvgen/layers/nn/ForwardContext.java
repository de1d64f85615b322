package dev.qvgen.layers.nn;

import ai.djl.ndarray.NDArray;

/**
 * What a model publishes about its current forward pass for the layers inside it: the diffusion
 * timesteps (B). Timestep-aware quantizers read it, so they need not know the model family.
 */
public final class ForwardContext {
    private static final ThreadLocal<NDArray> TIMESTEPS = new ThreadLocal<>();

    private ForwardContext() {}

    /** Sets the timesteps for the duration of a forward pass; close the returned scope after it. */
    public static Scope timesteps(NDArray timesteps) {
        NDArray previous = TIMESTEPS.get();
        TIMESTEPS.set(timesteps);
        return () -> TIMESTEPS.set(previous);
    }

    /** The timesteps of the forward pass in progress, or null outside one. */
    public static NDArray currentTimesteps() {
        return TIMESTEPS.get();
    }

    /** Restores the previous context. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}

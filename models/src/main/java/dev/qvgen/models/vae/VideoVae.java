package dev.qvgen.models.vae;

import ai.djl.ndarray.NDArray;

/** A video VAE as the pipelines use it; videos and latents are (B, C, T, H, W), float32. */
public interface VideoVae {
    /** The latent mean (the posterior's mode) of a video in [−1, 1], before any pipeline scaling. */
    NDArray encodeMean(NDArray video);

    /** The decoded video in (about) [−1, 1], before post-processing. */
    NDArray decode(NDArray latents);
}

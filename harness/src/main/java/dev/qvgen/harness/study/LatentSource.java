package dev.qvgen.harness.study;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Training clips already encoded (by {@code qvgen data prepare}): the VAE's latents and the text
 * encoder's states of each clip, and the empty prompt's states for caption dropout. Training
 * reads these, so neither the VAE nor the text encoder is in memory while it runs.
 */
public interface LatentSource extends AutoCloseable {
    @Override
    void close();

    int size();

    /** Latents of clip {@code index}, shaped as the transformer takes one sample (no batch axis). */
    NDArray latents(int index, NDManager manager);

    /**
     * The VAE posterior's standard deviation of clip {@code index}: a training sample is
     * {@code latents + latentStd * noise}, a fresh posterior draw per step as the official training takes.
     */
    NDArray latentStd(int index, NDManager manager);

    /** Text states of clip {@code index}'s caption (tokens, dim). */
    NDArray text(int index, NDManager manager);

    /** Text states of the empty prompt (tokens, dim). */
    NDArray emptyText(NDManager manager);
}

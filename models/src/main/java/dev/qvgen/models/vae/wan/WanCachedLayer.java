package dev.qvgen.models.vae.wan;

import ai.djl.ndarray.NDArray;

/** A layer of the Wan VAE stacks, called with the chunk's feature cache (null: no caching). */
interface WanCachedLayer {
    NDArray forward(NDArray x, WanFeatCache cache);
}

package dev.qvgen.models.vae.wan;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.nn.Module;
import dev.qvgen.models.vae.VaeOps;

/**
 * diffusers' {@code WanCausalConv3d}: a Conv3d (weights "weight", "bias") whose time padding is
 * all on the past side ({@code 2·p_t} frames, zeros or the cached frames of the previous chunk)
 * so frame t never sees frame t+1; height and width are zero-padded symmetrically.
 */
final class WanCausalConv3d extends Module {
    private final Parameter weight;
    private final Parameter bias;
    private final Shape stride;
    private final Shape spatialPadding;
    private final int timePad;

    WanCausalConv3d(int in, int out, int[] kernel, int[] stride, int[] padding) {
        this.weight = param("weight", new Shape(out, in, kernel[0], kernel[1], kernel[2]));
        this.bias = param("bias", new Shape(out));
        this.stride = new Shape(stride[0], stride[1], stride[2]);
        this.spatialPadding = new Shape(0, padding[1], padding[2]);
        this.timePad = 2 * padding[0];
    }

    /** Cubic kernel {@code k}, stride 1, padding {@code p} on every axis. */
    WanCausalConv3d(int in, int out, int k, int p) {
        this(in, out, new int[] {k, k, k}, new int[] {1, 1, 1}, new int[] {p, p, p});
    }

    /** One convolution; {@code cache} (frames before {@code x}) replaces that much zero padding. */
    NDArray forward(NDArray x, NDArray cache) {
        int pad = timePad;
        if (cache != null && timePad > 0) {
            x = VaeOps.concat(2, cache, x);
            pad -= (int) cache.getShape().get(2);
        }
        x = VaeOps.padZeros(x, 2, pad, 0);
        return VaeOps.conv(x, weight.getArray(), bias.getArray(), stride, spatialPadding);
    }

    /**
     * The convolution inside a chunked pass: uses the current cache slot, then stores this
     * input's last two frames (with the previous chunk's last frame in front when the input has
     * only one), as every diffusers call site of a causal convolution does.
     */
    NDArray forward(NDArray x, WanFeatCache cache) {
        if (cache == null) {
            return forward(x, (NDArray) null);
        }
        NDArray prev = cache.currentArray();
        NDArray next = VaeOps.lastFrames(x, WanFeatCache.CACHE_T);
        if (next.getShape().get(2) < 2 && prev != null) {
            next = VaeOps.concat(2, VaeOps.lastFrames(prev, 1), next);
        }
        NDArray out = forward(x, prev);
        cache.advance(next);
        return out;
    }
}

package dev.qvgen.models.vae.cogvideox;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Module;
import dev.qvgen.models.vae.Conv;
import dev.qvgen.models.vae.VaeOps;

/**
 * diffusers' {@code CogVideoXCausalConv3d} (pad mode "first"): the input gets
 * {@code k_t − 1} frames in front — the previous batch's last frames from the conv cache, or
 * copies of its own first frame — and the Conv3d ("conv.weight") zero-pads only height and width.
 */
final class CogVideoXCausalConv3d extends Module {
    private final int timeKernel;
    private final Conv conv;

    CogVideoXCausalConv3d(int in, int out, int k) {
        this.timeKernel = k;
        int p = (k - 1) / 2;
        conv = child("conv", new Conv(in, out, new long[] {k, k, k}, new long[] {1, 1, 1}, new long[] {0, p, p}));
    }

    NDArray forward(NDArray x, CogVideoXConvCache cache) {
        if (timeKernel > 1) {
            NDArray prev = cache == null ? null : cache.get(this);
            NDArray front = prev != null ? prev : VaeOps.slice(x, 2, 0, 1).repeat(2, timeKernel - 1);
            x = VaeOps.concat(2, front, x);
            if (cache != null) {
                cache.put(this, VaeOps.lastFrames(x, timeKernel - 1));
            }
        }
        // CogVideoXSafeConv3d splits inputs over 2 GiB (in bf16) along time with a k−1 overlap,
        // which gives the same result; on the CPU the whole batch is convolved at once.
        return conv.forward(x);
    }
}

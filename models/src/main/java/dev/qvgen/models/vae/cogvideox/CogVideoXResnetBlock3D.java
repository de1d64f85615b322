package dev.qvgen.models.vae.cogvideox;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Activations;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.models.vae.Conv;
import dev.qvgen.models.vae.GroupNorm;

/**
 * diffusers' {@code CogVideoXResnetBlock3D} without time embedding: norm (GroupNorm in the
 * encoder, SpatialNorm3D conditioned on the latent in the decoder), SiLU, causal conv, twice, and
 * a 1×1×1 Conv3d shortcut when the channel count changes.
 */
final class CogVideoXResnetBlock3D extends Module {
    private final GroupNorm groupNorm1;
    private final GroupNorm groupNorm2;
    private final CogVideoXSpatialNorm3D spatialNorm1;
    private final CogVideoXSpatialNorm3D spatialNorm2;
    private final CogVideoXCausalConv3d conv1;
    private final CogVideoXCausalConv3d conv2;
    private final Conv shortcut;

    /** @param spatialNormDim latent channels for a decoder block, 0 for an encoder block */
    CogVideoXResnetBlock3D(int in, int out, int groups, float eps, int spatialNormDim) {
        if (spatialNormDim > 0) {
            spatialNorm1 = child("norm1", new CogVideoXSpatialNorm3D(in, spatialNormDim, groups));
            groupNorm1 = null;
        } else {
            groupNorm1 = child("norm1", new GroupNorm(groups, in, eps));
            spatialNorm1 = null;
        }
        conv1 = child("conv1", new CogVideoXCausalConv3d(in, out, 3));
        if (spatialNormDim > 0) {
            spatialNorm2 = child("norm2", new CogVideoXSpatialNorm3D(out, spatialNormDim, groups));
            groupNorm2 = null;
        } else {
            groupNorm2 = child("norm2", new GroupNorm(groups, out, eps));
            spatialNorm2 = null;
        }
        conv2 = child("conv2", new CogVideoXCausalConv3d(out, out, 3));
        shortcut = in != out ? child("conv_shortcut", Conv.conv3d(in, out, 1, 1, 0)) : null;
    }

    NDArray forward(NDArray x, NDArray zq, CogVideoXConvCache cache) {
        NDArray h = spatialNorm1 != null ? spatialNorm1.forward(x, zq, cache) : groupNorm1.forward(x);
        h = conv1.forward(Activations.silu(h), cache);
        h = spatialNorm2 != null ? spatialNorm2.forward(h, zq, cache) : groupNorm2.forward(h);
        // Dropout is the identity at inference.
        h = conv2.forward(Activations.silu(h), cache);
        return h.add(shortcut == null ? x : shortcut.forward(x));
    }
}

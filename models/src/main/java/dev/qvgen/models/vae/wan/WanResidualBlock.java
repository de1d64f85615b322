package dev.qvgen.models.vae.wan;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Activations;
import dev.qvgen.layers.nn.Module;

/** diffusers' {@code WanResidualBlock}: RMS norm, SiLU, causal 3×3×3 conv, twice, plus a shortcut. */
final class WanResidualBlock extends Module implements WanCachedLayer {
    private final WanVaeRmsNorm norm1;
    private final WanCausalConv3d conv1;
    private final WanVaeRmsNorm norm2;
    private final WanCausalConv3d conv2;
    private final WanCausalConv3d shortcut;

    WanResidualBlock(int in, int out) {
        norm1 = child("norm1", new WanVaeRmsNorm(in, false));
        conv1 = child("conv1", new WanCausalConv3d(in, out, 3, 1));
        norm2 = child("norm2", new WanVaeRmsNorm(out, false));
        conv2 = child("conv2", new WanCausalConv3d(out, out, 3, 1));
        // 1×1×1 has no time padding, so the shortcut needs no cache slot.
        shortcut = in != out ? child("conv_shortcut", new WanCausalConv3d(in, out, 1, 0)) : null;
    }

    @Override
    public NDArray forward(NDArray x, WanFeatCache cache) {
        NDArray h = shortcut == null ? x : shortcut.forward(x, (NDArray) null);
        NDArray y = conv1.forward(Activations.silu(norm1.forward(x)), cache);
        // Dropout is the identity at inference.
        y = conv2.forward(Activations.silu(norm2.forward(y)), cache);
        return y.add(h);
    }
}

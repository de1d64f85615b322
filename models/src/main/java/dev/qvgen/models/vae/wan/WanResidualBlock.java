package dev.qvgen.models.vae.wan;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.Scopes;

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
        // each conv with its norm and activation in its own scope (WanSteps): a block holds its
        // input, the shortcut and one conv's working set, not every intermediate
        NDArray h = shortcut == null ? x : Scopes.scoped(() -> shortcut.forward(x, (NDArray) null));
        NDArray y = Scopes.scoped(() -> conv1.forward(WanSteps.normSilu(norm1, x), cache));
        // Dropout is the identity at inference. y is freed once normalised, before conv2 runs.
        NDArray z = Scopes.scoped(() -> {
            NDArray a = WanSteps.normSilu(norm2, y);
            y.close();
            return conv2.forward(a, cache);
        });
        NDArray out = z.add(h);
        z.close();
        if (h != x) {
            h.close();
        }
        return out;
    }
}

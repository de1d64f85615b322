package dev.qvgen.models.vae.wan;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.ModuleList;
import dev.qvgen.layers.nn.Scopes;

/** diffusers' {@code WanUpBlock}: {@code num_res_blocks + 1} residual blocks, then an optional upsampler. */
final class WanUpBlock extends Module implements WanCachedLayer {
    private final ModuleList<WanResidualBlock> resnets;
    private final ModuleList<WanResample> upsamplers;

    WanUpBlock(int in, int out, int numResBlocks, WanResample.Mode upsample) {
        resnets = child("resnets", new ModuleList<>());
        int d = in;
        for (int i = 0; i < numResBlocks + 1; i++) {
            resnets.add(new WanResidualBlock(d, out));
            d = out;
        }
        if (upsample != null) {
            upsamplers = child("upsamplers", new ModuleList<>());
            upsamplers.add(new WanResample(out, upsample, out / 2));
        } else {
            upsamplers = null;
        }
    }

    @Override
    public NDArray forward(NDArray x, WanFeatCache cache) {
        // the caller's input is left open; every later activation is closed once used (WanSteps)
        NDArray in = x;
        NDArray y = Scopes.scoped(() -> resnets.get(0).forward(in, cache));
        for (int i = 1; i < resnets.size(); i++) {
            WanResidualBlock r = resnets.get(i);
            y = WanSteps.then(y, a -> r.forward(a, cache));
        }
        return upsamplers == null ? y : WanSteps.then(y, a -> upsamplers.get(0).forward(a, cache));
    }
}

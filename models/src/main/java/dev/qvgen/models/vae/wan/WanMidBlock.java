package dev.qvgen.models.vae.wan;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.ModuleList;
import dev.qvgen.layers.nn.Scopes;

/** diffusers' {@code WanMidBlock}: residual, then (attention, residual) once. */
final class WanMidBlock extends Module implements WanCachedLayer {
    private final ModuleList<WanAttentionBlock> attentions;
    private final ModuleList<WanResidualBlock> resnets;

    WanMidBlock(int dim) {
        attentions = child("attentions", new ModuleList<>());
        resnets = child("resnets", new ModuleList<>());
        resnets.add(new WanResidualBlock(dim, dim));
        attentions.add(new WanAttentionBlock(dim));
        resnets.add(new WanResidualBlock(dim, dim));
    }

    @Override
    public NDArray forward(NDArray x, WanFeatCache cache) {
        NDArray in = x;
        NDArray y = Scopes.scoped(() -> resnets.get(0).forward(in, cache));
        for (int i = 0; i < attentions.size(); i++) {
            WanAttentionBlock attn = attentions.get(i);
            WanResidualBlock r = resnets.get(i + 1);
            y = WanSteps.then(y, a -> attn.forward(a, cache));
            y = WanSteps.then(y, a -> r.forward(a, cache));
        }
        return y;
    }
}

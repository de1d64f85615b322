package dev.qvgen.models.vae.wan;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.ModuleList;

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
        x = resnets.get(0).forward(x, cache);
        for (int i = 0; i < attentions.size(); i++) {
            x = attentions.get(i).forward(x, cache);
            x = resnets.get(i + 1).forward(x, cache);
        }
        return x;
    }
}

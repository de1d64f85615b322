package dev.qvgen.models.vae.wan;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.ModuleList;
import dev.qvgen.layers.nn.Scopes;

/**
 * diffusers' {@code WanEncoder3d} (non-residual, Wan2.1): conv_in, a flat {@code down_blocks}
 * list of residual blocks, attention blocks (at the scales in {@code attn_scales}) and
 * resamplers, a mid block, RMS norm, SiLU, conv_out to {@code 2·z_dim} channels.
 */
final class WanEncoder3d extends Module {
    private final WanCausalConv3d convIn;
    private final ModuleList<Module> downBlocks;
    private final WanMidBlock midBlock;
    private final WanVaeRmsNorm normOut;
    private final WanCausalConv3d convOut;

    WanEncoder3d(WanVaeConfig c) {
        int[] mult = c.dimMult();
        int[] dims = new int[mult.length + 1];
        dims[0] = c.baseDim();
        for (int i = 0; i < mult.length; i++) {
            dims[i + 1] = c.baseDim() * mult[i];
        }
        convIn = child("conv_in", new WanCausalConv3d(c.inChannels(), dims[0], 3, 1));
        downBlocks = child("down_blocks", new ModuleList<>());
        double scale = 1.0;
        int out = dims[0];
        for (int i = 0; i < mult.length; i++) {
            int in = dims[i];
            out = dims[i + 1];
            for (int j = 0; j < c.numResBlocks(); j++) {
                downBlocks.add(new WanResidualBlock(in, out));
                if (contains(c.attnScales(), scale)) {
                    downBlocks.add(new WanAttentionBlock(out));
                }
                in = out;
            }
            if (i != mult.length - 1) {
                downBlocks.add(new WanResample(out, c.temperalDownsample()[i]
                        ? WanResample.Mode.DOWNSAMPLE3D : WanResample.Mode.DOWNSAMPLE2D, out / 2));
                scale /= 2.0;
            }
        }
        midBlock = child("mid_block", new WanMidBlock(out));
        normOut = child("norm_out", new WanVaeRmsNorm(out, false));
        convOut = child("conv_out", new WanCausalConv3d(out, 2 * c.zDim(), 3, 1));
    }

    private static boolean contains(double[] a, double v) {
        for (double d : a) {
            if (d == v) {
                return true;
            }
        }
        return false;
    }

    NDArray forward(NDArray x, WanFeatCache cache) {
        // one layer at a time, each in its own scope, the previous activation closed (WanSteps)
        NDArray in = x;
        NDArray y = Scopes.scoped(() -> convIn.forward(in, cache));
        for (Module layer : downBlocks.items()) {
            y = WanSteps.then(y, a -> ((WanCachedLayer) layer).forward(a, cache));
        }
        y = WanSteps.then(y, a -> midBlock.forward(a, cache));
        return WanSteps.then(y, a -> convOut.forward(WanSteps.normSilu(normOut, a), cache));
    }
}

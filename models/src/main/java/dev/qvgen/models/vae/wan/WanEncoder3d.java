package dev.qvgen.models.vae.wan;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Activations;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.ModuleList;

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
        x = convIn.forward(x, cache);
        for (Module layer : downBlocks.items()) {
            x = ((WanCachedLayer) layer).forward(x, cache);
        }
        x = midBlock.forward(x, cache);
        return convOut.forward(Activations.silu(normOut.forward(x)), cache);
    }
}

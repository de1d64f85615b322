package dev.qvgen.models.vae.cogvideox;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Activations;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.ModuleList;
import dev.qvgen.models.vae.GroupNorm;

/** diffusers' {@code CogVideoXEncoder3D}: conv_in, down blocks, mid block, GroupNorm, SiLU, conv_out. */
final class CogVideoXEncoder3D extends Module {
    private final CogVideoXCausalConv3d convIn;
    private final ModuleList<CogVideoXBlocks> downBlocks;
    private final CogVideoXBlocks midBlock;
    private final GroupNorm normOut;
    private final CogVideoXCausalConv3d convOut;

    CogVideoXEncoder3D(CogVideoXVaeConfig c) {
        int[] ch = c.blockOutChannels();
        int g = c.normNumGroups();
        convIn = child("conv_in", new CogVideoXCausalConv3d(c.inChannels(), ch[0], 3));
        downBlocks = child("down_blocks", new ModuleList<>());
        int out = ch[0];
        for (int i = 0; i < ch.length; i++) {
            int in = out;
            out = ch[i];
            downBlocks.add(CogVideoXBlocks.down(in, out, c.layersPerBlock(), g, c.normEps(),
                    i != ch.length - 1, i < c.temporalCompressLevel()));
        }
        midBlock = child("mid_block", CogVideoXBlocks.mid(out, g, c.normEps(), 0));
        normOut = child("norm_out", new GroupNorm(g, out, 1e-6f));
        convOut = child("conv_out", new CogVideoXCausalConv3d(out, 2 * c.latentChannels(), 3));
    }

    NDArray forward(NDArray x, CogVideoXConvCache cache) {
        x = convIn.forward(x, cache);
        for (CogVideoXBlocks b : downBlocks.items()) {
            x = b.forward(x, null, cache);
        }
        x = midBlock.forward(x, null, cache);
        return convOut.forward(Activations.silu(normOut.forward(x)), cache);
    }
}

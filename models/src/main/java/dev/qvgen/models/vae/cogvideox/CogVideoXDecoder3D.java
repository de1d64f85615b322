package dev.qvgen.models.vae.cogvideox;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Activations;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.ModuleList;

/**
 * diffusers' {@code CogVideoXDecoder3D}: conv_in, mid block and up blocks whose norms are
 * SpatialNorm3D conditioned on the decoder's input latent, SpatialNorm3D, SiLU, conv_out.
 */
final class CogVideoXDecoder3D extends Module {
    private final CogVideoXCausalConv3d convIn;
    private final CogVideoXBlocks midBlock;
    private final ModuleList<CogVideoXBlocks> upBlocks;
    private final CogVideoXSpatialNorm3D normOut;
    private final CogVideoXCausalConv3d convOut;

    CogVideoXDecoder3D(CogVideoXVaeConfig c) {
        int[] ch = c.blockOutChannels();
        int n = ch.length;
        int g = c.normNumGroups();
        int z = c.latentChannels();
        convIn = child("conv_in", new CogVideoXCausalConv3d(z, ch[n - 1], 3));
        midBlock = child("mid_block", CogVideoXBlocks.mid(ch[n - 1], g, c.normEps(), z));
        upBlocks = child("up_blocks", new ModuleList<>());
        int out = ch[n - 1];
        for (int i = 0; i < n; i++) {
            int in = out;
            out = ch[n - 1 - i];
            upBlocks.add(CogVideoXBlocks.up(in, out, c.layersPerBlock() + 1, g, c.normEps(), z,
                    i != n - 1, i < c.temporalCompressLevel()));
        }
        normOut = child("norm_out", new CogVideoXSpatialNorm3D(out, z, g));
        convOut = child("conv_out", new CogVideoXCausalConv3d(out, c.outChannels(), 3));
    }

    NDArray forward(NDArray z, CogVideoXConvCache cache) {
        NDArray x = convIn.forward(z, cache);
        x = midBlock.forward(x, z, cache);
        for (CogVideoXBlocks b : upBlocks.items()) {
            x = b.forward(x, z, cache);
        }
        return convOut.forward(Activations.silu(normOut.forward(x, z, cache)), cache);
    }
}

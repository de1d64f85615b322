package dev.qvgen.models.vae.wan;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.ModuleList;
import dev.qvgen.layers.nn.Scopes;

/**
 * diffusers' {@code WanDecoder3d} (non-residual, Wan2.1): conv_in, mid block, up blocks whose
 * upsamplers halve the channels (so every block after the first takes {@code dims[i] / 2}),
 * RMS norm, SiLU, conv_out.
 */
final class WanDecoder3d extends Module {
    private final WanCausalConv3d convIn;
    private final WanMidBlock midBlock;
    private final ModuleList<WanUpBlock> upBlocks;
    private final WanVaeRmsNorm normOut;
    private final WanCausalConv3d convOut;

    WanDecoder3d(WanVaeConfig c) {
        int[] mult = c.dimMult();
        int n = mult.length;
        int[] dims = new int[n + 1];
        dims[0] = c.decoderBaseDim() * mult[n - 1];
        for (int i = 0; i < n; i++) {
            dims[i + 1] = c.decoderBaseDim() * mult[n - 1 - i];
        }
        boolean[] down = c.temperalDownsample();
        convIn = child("conv_in", new WanCausalConv3d(c.zDim(), dims[0], 3, 1));
        midBlock = child("mid_block", new WanMidBlock(dims[0]));
        upBlocks = child("up_blocks", new ModuleList<>());
        int out = dims[0];
        for (int i = 0; i < n; i++) {
            int in = i > 0 ? dims[i] / 2 : dims[i];
            out = dims[i + 1];
            WanResample.Mode mode = null;
            if (i != n - 1) {
                // temperal_upsample is temperal_downsample reversed.
                mode = down[down.length - 1 - i] ? WanResample.Mode.UPSAMPLE3D : WanResample.Mode.UPSAMPLE2D;
            }
            upBlocks.add(new WanUpBlock(in, out, c.numResBlocks(), mode));
        }
        normOut = child("norm_out", new WanVaeRmsNorm(out, false));
        convOut = child("conv_out", new WanCausalConv3d(out, c.outChannels(), 3, 1));
    }

    NDArray forward(NDArray x, WanFeatCache cache) {
        // one stage at a time, each in its own scope, the previous activation closed (WanSteps)
        NDArray in = x;
        NDArray y = Scopes.scoped(() -> convIn.forward(in, cache));
        y = WanSteps.then(y, a -> midBlock.forward(a, cache));
        for (WanUpBlock b : upBlocks.items()) {
            y = WanSteps.then(y, a -> b.forward(a, cache));
        }
        return WanSteps.then(y, a -> convOut.forward(WanSteps.normSilu(normOut, a), cache));
    }
}

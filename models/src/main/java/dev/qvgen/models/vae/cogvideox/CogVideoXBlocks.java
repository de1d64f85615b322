package dev.qvgen.models.vae.cogvideox;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.ModuleList;

/**
 * diffusers' {@code CogVideoXDownBlock3D}, {@code CogVideoXMidBlock3D} and
 * {@code CogVideoXUpBlock3D}: resnets, then an optional down/up sampler ("downsamplers.0" /
 * "upsamplers.0").
 */
final class CogVideoXBlocks extends Module {
    private final ModuleList<CogVideoXResnetBlock3D> resnets;
    private final CogVideoXResample3D sampler;

    private CogVideoXBlocks(int in, int out, int layers, int groups, float eps, int spatialNormDim,
            CogVideoXResample3D sampler, String samplerName) {
        resnets = child("resnets", new ModuleList<>());
        for (int i = 0; i < layers; i++) {
            resnets.add(new CogVideoXResnetBlock3D(i == 0 ? in : out, out, groups, eps, spatialNormDim));
        }
        if (sampler != null) {
            ModuleList<CogVideoXResample3D> list = child(samplerName, new ModuleList<>());
            list.add(sampler);
        }
        this.sampler = sampler;
    }

    static CogVideoXBlocks down(int in, int out, int layers, int groups, float eps, boolean downsample,
            boolean compressTime) {
        return new CogVideoXBlocks(in, out, layers, groups, eps, 0,
                downsample ? CogVideoXResample3D.down(out, compressTime) : null, "downsamplers");
    }

    static CogVideoXBlocks mid(int channels, int groups, float eps, int spatialNormDim) {
        return new CogVideoXBlocks(channels, channels, 2, groups, eps, spatialNormDim, null, null);
    }

    static CogVideoXBlocks up(int in, int out, int layers, int groups, float eps, int spatialNormDim,
            boolean upsample, boolean compressTime) {
        return new CogVideoXBlocks(in, out, layers, groups, eps, spatialNormDim,
                upsample ? CogVideoXResample3D.up(out, compressTime) : null, "upsamplers");
    }

    NDArray forward(NDArray x, NDArray zq, CogVideoXConvCache cache) {
        for (CogVideoXResnetBlock3D r : resnets.items()) {
            x = r.forward(x, zq, cache);
        }
        return sampler == null ? x : sampler.forward(x);
    }
}

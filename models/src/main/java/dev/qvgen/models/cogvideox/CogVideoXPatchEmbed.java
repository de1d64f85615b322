package dev.qvgen.models.cogvideox;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;

/**
 * diffusers' CogVideoXPatchEmbed: text projection, video patches, and (sin-cos models) the 3D
 * position table added to the video tokens. CogVideoX 1.0 patches each frame with a Conv2d whose
 * stride equals its kernel (computed here as patchify + matmul, the same arithmetic); 1.5 patches
 * (t, h, w) cubes with a linear layer over the flattened (C, pt, p, p) patch.
 */
public final class CogVideoXPatchEmbed extends Module {
    private final dev.qvgen.layers.nn.TableCache posCache = new dev.qvgen.layers.nn.TableCache();
    private final CogVideoXConfig config;
    private final ConvProj conv;
    private final Linear linearProj;
    private final Linear textProj;
    private float[] cachedTable;
    private long cachedKey;

    public CogVideoXPatchEmbed(CogVideoXConfig c) {
        this.config = c;
        int dim = c.innerDim();
        int p = c.patchSize();
        if (c.hasTemporalPatch()) {
            // nn.Linear with its default bias: patch_bias only reaches the Conv2d of version 1.0.
            linearProj = child("proj", new Linear(c.inChannels() * p * p * c.patchSizeT(), dim, true));
            conv = null;
        } else {
            conv = child("proj", new ConvProj(c.inChannels(), dim, p, c.patchBias()));
            linearProj = null;
        }
        textProj = child("text_proj", new Linear(c.textEmbedDim(), dim, true));
    }

    /**
     * @param text (B, Lt, textEmbedDim)
     * @param latents (B, F, C, H, W)
     * @return embedded text (B, Lt, dim) and video tokens (B, Lv, dim)
     */
    public NDList forward(NDArray text, NDArray latents) {
        NDArray t = textProj.forward(text);
        Shape s = latents.getShape();
        long b = s.get(0);
        long f = s.get(1);
        long ch = s.get(2);
        long h = s.get(3);
        long w = s.get(4);
        int p = config.patchSize();
        long hp = h / p;
        long wp = w / p;
        NDArray v;
        if (linearProj == null) {
            NDArray patches = latents.reshape(b, f, ch, hp, p, wp, p)
                    .transpose(0, 1, 3, 5, 2, 4, 6)
                    .reshape(b, f * hp * wp, ch * p * p);
            NDArray weight = conv.weight.getArray().reshape(config.innerDim(), -1);
            NDArray bias = conv.bias == null ? null : conv.bias.getArray();
            v = Linear.product(patches, weight, bias);
            if (!config.useRotaryPositionalEmbeddings()) {
                long ff = f;
                long gh = hp;
                long gw = wp;
                NDArray pos = posCache.get(java.util.List.of(ff, gh, gw), v.getDevice(), v.getDataType(),
                        () -> latents.getManager().create(sinCosTable((int) ff, (int) gh, (int) gw),
                                new Shape(1, ff * gh * gw, config.innerDim())));
                v = v.add(pos);
            }
        } else {
            int pt = config.patchSizeT();
            if (f % pt != 0) {
                throw new IllegalArgumentException("latent frames " + f + " must be a multiple of patch_size_t "
                        + pt + " (the pipeline pads them)");
            }
            NDArray patches = latents.reshape(b, f / pt, pt, ch, hp, p, wp, p)
                    .transpose(0, 1, 4, 6, 3, 2, 5, 7)
                    .reshape(b, (f / pt) * hp * wp, ch * pt * p * p);
            v = linearProj.forward(patches);
        }
        return new NDList(t, v);
    }

    /** The table for the last latent size, kept on the host: a sampling loop asks for the same one every step. */
    private synchronized float[] sinCosTable(int frames, int gridH, int gridW) {
        long key = ((long) frames << 40) | ((long) gridH << 20) | gridW;
        if (cachedTable == null || cachedKey != key) {
            cachedTable = CogVideoXPositions.sinCos3d(config.innerDim(), frames, gridH, gridW,
                    config.spatialInterpolationScale(), config.temporalInterpolationScale());
            cachedKey = key;
        }
        return cachedTable;
    }

    /** The Conv2d's parameters under their published names. */
    private static final class ConvProj extends Module {
        private final Parameter weight;
        private final Parameter bias;

        ConvProj(int in, int dim, int p, boolean bias) {
            weight = param("weight", new Shape(dim, in, p, p));
            this.bias = bias ? param("bias", new Shape(dim)) : null;
        }
    }
}

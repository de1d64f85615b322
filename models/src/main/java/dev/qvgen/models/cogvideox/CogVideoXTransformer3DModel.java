package dev.qvgen.models.cogvideox;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.io.WeightSource;
import dev.qvgen.layers.io.WeightSources;
import dev.qvgen.layers.nn.Activations;
import dev.qvgen.layers.nn.ForwardContext;
import dev.qvgen.layers.nn.LayerNorm;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.ModuleList;
import dev.qvgen.layers.nn.Precision;
import dev.qvgen.layers.nn.Scalars;
import dev.qvgen.layers.nn.Scopes;
import dev.qvgen.layers.train.Blockwise;
import dev.qvgen.layers.nn.TimestepEmbedding;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * diffusers' {@code CogVideoXTransformer3DModel} (CogVideoX-2B, -5B, 1.5-5B text-to-video) in DJL,
 * parameter names as published. Latents are (B, F, C, H, W) as the CogVideoX pipeline keeps them.
 * The RoPE tables that the reference pipeline passes in are built here from the latent size by
 * the pipeline's rule ({@link CogVideoXPositions#rotary3d}), so callers pass latents only.
 */
public final class CogVideoXTransformer3DModel extends Module implements dev.qvgen.models.family.DenoisingTransformer {
    private final CogVideoXConfig config;
    private final CogVideoXPatchEmbed patchEmbed;
    private final TimeMlp timeEmbedding;
    private final TimeMlp ofsEmbedding;
    private final ModuleList<CogVideoXBlock> blocks;
    private final LayerNorm normFinal;
    private final AdaNormOut normOut;
    private final Linear projOut;
    private BiConsumer<Integer, NDArray> blockObserver;

    public CogVideoXTransformer3DModel(CogVideoXConfig c) {
        this.config = c;
        int dim = c.innerDim();
        float eps = (float) c.normEps();
        patchEmbed = child("patch_embed", new CogVideoXPatchEmbed(c));
        timeEmbedding = child("time_embedding", new TimeMlp(dim, c.timeEmbedDim()));
        ofsEmbedding = c.ofsEmbedDim() > 0
                ? child("ofs_embedding", new TimeMlp(c.ofsEmbedDim(), c.ofsEmbedDim())) : null;
        blocks = child("transformer_blocks", new ModuleList<>());
        for (int i = 0; i < c.numLayers(); i++) {
            blocks.add(new CogVideoXBlock(c));
        }
        normFinal = c.normElementwiseAffine() ? child("norm_final", new LayerNorm(dim, eps, true))
                : new LayerNorm(dim, eps, false);
        normOut = child("norm_out", new AdaNormOut(c.timeEmbedDim(), dim, c.normElementwiseAffine(), eps));
        int pt = c.hasTemporalPatch() ? c.patchSizeT() : 1;
        projOut = child("proj_out", new Linear(dim, c.patchSize() * c.patchSize() * pt * c.outChannels(), true));
    }

    /** Builds the model from a diffusers {@code transformer/} directory. */
    public static CogVideoXTransformer3DModel fromPretrained(Path dir, NDManager manager) {
        CogVideoXConfig c = CogVideoXConfig.read(dir.resolve("config.json"));
        CogVideoXTransformer3DModel m = new CogVideoXTransformer3DModel(c);
        try (WeightSource src = WeightSources.open(dir, "diffusion_pytorch_model")) {
            // The sin-cos table is a non-persistent buffer (never saved); nothing else is extra.
            WeightLoader.load(m, src, manager, Set.of("patch_embed.pos_embedding"));
        }
        return m;
    }

    @Override
    public List<String> blockPrefixes() {
        return List.of("transformer_blocks.");
    }

    public CogVideoXConfig config() {
        return config;
    }

    public List<CogVideoXBlock> blocks() {
        return blocks.items();
    }

    /**
     * Sees each block's video tokens (index, (B, Lv, dim)), e.g. to compare block 0 with a golden
     * tensor. The array is freed when the next block has run: duplicate it to keep it.
     */
    public void setBlockObserver(BiConsumer<Integer, NDArray> observer) {
        this.blockObserver = observer;
    }

    /**
     * The rotary tables for latents of (frames, height, width), as the pipeline builds them.
     *
     * @return cos and sin, each (video tokens, headDim)
     */
    public NDList rotaryTables(NDManager manager, int frames, int height, int width) {
        CogVideoXPositions.Rotary r = CogVideoXPositions.rotary3d(config, frames, height, width);
        Shape shape = new Shape(r.tokens(), r.headDim());
        return new NDList(manager.create(r.cos(), shape), manager.create(r.sin(), shape));
    }

    /** Text-to-video forward (no ofs condition). */
    public NDArray forward(NDArray latents, NDArray timestep, NDArray text) {
        return forward(latents, timestep, text, null);
    }

    /**
     * @param latents (B, F, C, H, W)
     * @param timestep (B) timesteps in [0, 1000)
     * @param text T5 hidden states (B, Lt, textEmbedDim)
     * @param ofs (B) the "ofs" condition; required exactly when the config has ofs_embed_dim
     * @return the model prediction (B, F, outChannels, H, W)
     */
    public NDArray forward(NDArray latents, NDArray timestep, NDArray text, NDArray ofs) {
        if ((ofs != null) != (ofsEmbedding != null)) {
            throw new IllegalArgumentException(ofsEmbedding != null
                    ? "this CogVideoX config has ofs_embed_dim; pass the ofs condition"
                    : "this CogVideoX config has no ofs_embed_dim; ofs must be null");
        }
        return new Stages(latents, timestep, text, ofs).forward(blockObserver);
    }

    /** The text-to-video forward cuts at its blocks; one with the ofs condition (image-to-video) runs whole. */
    @Override
    public boolean cutsAtBlocks() {
        return ofsEmbedding == null;
    }

    @Override
    public Blockwise blockwise(NDArray latents, NDArray timestep, NDArray text) {
        return ofsEmbedding == null ? new Stages(latents, timestep, text, null) : null;
    }

    /**
     * The forward in stages: timestep (and ofs) embedding and patch embedding; the blocks, which
     * carry the video and the text tokens and read the embedding and RoPE; the final norms and
     * projection. Shared: (emb).
     */
    private final class Stages implements Blockwise {
        private final NDArray latents;
        private final NDArray timestep;
        private final NDArray text;
        private final NDArray ofs;
        private final long b;
        private final int f;
        private final int h;
        private final int w;
        private NDArray cos;
        private NDArray sin;

        Stages(NDArray latents, NDArray timestep, NDArray text, NDArray ofs) {
            this.latents = latents;
            this.timestep = timestep;
            this.text = text;
            this.ofs = ofs;
            Shape s = latents.getShape();
            b = s.get(0);
            f = (int) s.get(1);
            h = (int) s.get(3);
            w = (int) s.get(4);
            int p = config.patchSize();
            if (h % p != 0 || w % p != 0) {
                throw new IllegalArgumentException("latent size " + h + "x" + w + " must be a multiple of patch_size "
                        + p);
            }
            if (config.useRotaryPositionalEmbeddings()) {
                NDList tables = rotaryTables(latents.getManager(), f, h, w);
                cos = tables.get(0).toDevice(latents.getDevice(), false);
                sin = tables.get(1).toDevice(latents.getDevice(), false);
            }
        }

        @Override
        public int blocks() {
            return blocks.size();
        }

        @Override
        public Entry enter() {
            try (ForwardContext.Scope ctx = ForwardContext.timesteps(timestep)) {
                // diffusers: t_emb.to(dtype=hidden_states.dtype) (the sinusoid is float32; float16 runs cast it)
                NDArray emb = timeEmbedding.forward(Precision.like(TimestepEmbedding.sinusoidal(timestep,
                        config.innerDim(), config.flipSinToCos(), config.freqShift()), latents));
                if (ofsEmbedding != null) {
                    emb = emb.add(ofsEmbedding.forward(Precision.like(TimestepEmbedding.sinusoidal(ofs,
                            config.ofsEmbedDim(), config.flipSinToCos(), config.freqShift()), latents)));
                }
                NDList embedded = patchEmbed.forward(text, latents);
                return new Entry(new NDList(embedded.get(1), embedded.get(0)), new NDList(emb));
            }
        }

        @Override
        public NDList block(int index, NDList stream, NDList shared) {
            try (ForwardContext.Scope ctx = ForwardContext.timesteps(timestep)) {
                CogVideoXBlock block = blocks.get(index);
                return Scopes.scopedList(() -> block.forward(stream.get(0), stream.get(1), shared.get(0), cos, sin));
            }
        }

        @Override
        public NDArray exit(NDList stream, NDList shared) {
            try (ForwardContext.Scope ctx = ForwardContext.timesteps(timestep)) {
                NDArray emb = shared.get(0);
                NDArray x = normOut.forward(normFinal.forward(stream.get(0)), emb);
                x = projOut.forward(x);
                int p = config.patchSize();
                long oc = config.outChannels();
                long hp = h / p;
                long wp = w / p;
                if (!config.hasTemporalPatch()) {
                    return x.reshape(b, f, hp, wp, oc, p, p)
                            .transpose(0, 1, 4, 2, 5, 3, 6)
                            .reshape(b, f, oc, h, w);
                }
                int pt = config.patchSizeT();
                long fp = (f + pt - 1) / pt;
                return x.reshape(b, fp, hp, wp, oc, pt, p, p)
                        .transpose(0, 1, 5, 4, 2, 6, 3, 7)
                        .reshape(b, fp * pt, oc, h, w);
            }
        }
    }

    /** diffusers' TimestepEmbedding with SiLU: linear_1 -> silu -> linear_2. */
    private static final class TimeMlp extends Module {
        private final Linear linear1;
        private final Linear linear2;

        TimeMlp(int in, int out) {
            linear1 = child("linear_1", new Linear(in, out, true));
            linear2 = child("linear_2", new Linear(out, out, true));
        }

        NDArray forward(NDArray x) {
            return linear2.forward(Activations.silu(linear1.forward(x)));
        }
    }

    /** diffusers' AdaLayerNorm with chunk_dim=1 as CogVideoX uses it: [shift, scale] = linear(silu(temb)). */
    private static final class AdaNormOut extends Module {
        private final Linear linear;
        private final LayerNorm norm;

        AdaNormOut(int embDim, int dim, boolean affine, float eps) {
            linear = child("linear", new Linear(embDim, 2 * dim, true));
            norm = affine ? child("norm", new LayerNorm(dim, eps, true)) : new LayerNorm(dim, eps, false);
        }

        NDArray forward(NDArray x, NDArray temb) {
            NDList shiftScale = linear.forward(Activations.silu(temb)).expandDims(1).split(2, 2);
            return norm.forward(x).mul(Scalars.add(shiftScale.get(1), 1f)).add(shiftScale.get(0));
        }
    }
}

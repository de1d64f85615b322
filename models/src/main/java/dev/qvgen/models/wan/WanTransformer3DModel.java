package dev.qvgen.models.wan;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.io.WeightSource;
import dev.qvgen.layers.io.WeightSources;
import dev.qvgen.layers.nn.ForwardContext;
import dev.qvgen.layers.nn.LayerNorm;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.Scopes;
import dev.qvgen.layers.nn.TableCache;
import dev.qvgen.layers.nn.ModuleList;
import dev.qvgen.layers.nn.Precision;
import dev.qvgen.layers.nn.Scalars;
import dev.qvgen.layers.train.Blockwise;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * diffusers' {@code WanTransformer3DModel} (Wan2.1 text-to-video) in DJL, parameter names as
 * published. Input latents are (B, C, F, H, W); the patch embedding (a Conv3d whose stride equals
 * its kernel) is computed as patchify + matmul, which is the same arithmetic.
 */
public final class WanTransformer3DModel extends Module implements dev.qvgen.models.family.DenoisingTransformer {
    private final WanConfig config;
    private final WanRotaryPosEmbed rope;
    private final Parameter patchWeight;
    private final Parameter patchBias;
    private final WanConditionEmbedder conditionEmbedder;
    private final ModuleList<WanTransformerBlock> blocks;
    private final LayerNorm normOut;
    private final Linear projOut;
    private final Parameter scaleShiftTable;
    private BiConsumer<Integer, NDArray> blockObserver;
    private final TableCache ropeCos = new TableCache();
    private final TableCache ropeSin = new TableCache();

    public WanTransformer3DModel(WanConfig c) {
        this.config = c;
        int dim = c.innerDim();
        int[] p = c.patchSize();
        rope = new WanRotaryPosEmbed(c.attentionHeadDim(), p, c.ropeMaxSeqLen(), 10000.0);
        PatchEmbedding pe = child("patch_embedding", new PatchEmbedding(c.inChannels(), dim, p));
        patchWeight = pe.weight;
        patchBias = pe.bias;
        conditionEmbedder = child("condition_embedder", new WanConditionEmbedder(c));
        blocks = child("blocks", new ModuleList<>());
        for (int i = 0; i < c.numLayers(); i++) {
            blocks.add(new WanTransformerBlock(c));
        }
        normOut = new LayerNorm(dim, (float) c.eps(), false);
        projOut = child("proj_out", new Linear(dim, c.outChannels() * p[0] * p[1] * p[2], true));
        scaleShiftTable = param("scale_shift_table", new Shape(1, 2, dim));
    }

    /** diffusers' WanTransformer3DModel._keep_in_fp32_modules. */
    @Override
    public List<String> keepInFloat32() {
        return List.of("time_embedder", "scale_shift_table", "norm1", "norm2", "norm3");
    }

    /** Builds the model from a diffusers {@code transformer/} directory. */
    public static WanTransformer3DModel fromPretrained(Path dir, NDManager manager) {
        WanConfig c = WanConfig.read(dir.resolve("config.json"));
        WanTransformer3DModel m = new WanTransformer3DModel(c);
        try (WeightSource src = WeightSources.open(dir, "diffusion_pytorch_model")) {
            // Older exports carry a q-norm for the (absent) image branch; diffusers ignores it too.
            WeightLoader.load(m, src, manager, Set.of());
        }
        return m;
    }

    @Override
    public List<String> blockPrefixes() {
        return List.of("blocks.");
    }

    public WanConfig config() {
        return config;
    }

    public List<WanTransformerBlock> blocks() {
        return blocks.items();
    }

    /**
     * Sees each block's output (index, tokens), e.g. to compare block 0 with a golden tensor. The
     * array is freed when the next block has run: duplicate it to keep it.
     */
    public void setBlockObserver(BiConsumer<Integer, NDArray> observer) {
        this.blockObserver = observer;
    }

    /**
     * @param latents (B, C, F, H, W)
     * @param timestep (B) float timesteps in [0, 1000]
     * @param text encoder hidden states (B, S, textDim)
     * @return the flow prediction (B, outChannels, F, H, W)
     */
    public NDArray forward(NDArray latents, NDArray timestep, NDArray text) {
        return new Stages(latents, timestep, text).forward(blockObserver);
    }

    @Override
    public boolean cutsAtBlocks() {
        return true;
    }

    @Override
    public Blockwise blockwise(NDArray latents, NDArray timestep, NDArray text) {
        return new Stages(latents, timestep, text);
    }

    /**
     * The forward in stages: patch embedding and condition embedder; the blocks, which carry the
     * tokens and read the projected text, the timestep projection and RoPE; the output norm,
     * modulation and projection. Shared: (text context, timestep projection, temb).
     */
    private final class Stages implements Blockwise {
        private final NDArray latents;
        private final NDArray timestep;
        private final NDArray text;
        private final long b;
        private final long c;
        private final long pf;
        private final long ph;
        private final long pw;
        private final NDArray cos;
        private final NDArray sin;

        Stages(NDArray latents, NDArray timestep, NDArray text) {
            this.latents = latents;
            this.timestep = timestep;
            this.text = text;
            Shape s = latents.getShape();
            int[] p = config.patchSize();
            b = s.get(0);
            c = s.get(1);
            int f = (int) s.get(2);
            int h = (int) s.get(3);
            int w = (int) s.get(4);
            pf = f / p[0];
            ph = h / p[1];
            pw = w / p[2];
            java.util.List<Integer> size = java.util.List.of(f, h, w);
            cos = ropeCos.get(size, latents.getDevice(), DataType.FLOAT32,
                    () -> rope.forward(latents.getManager(), f, h, w).get(0));
            sin = ropeSin.get(size, latents.getDevice(), DataType.FLOAT32,
                    () -> rope.forward(latents.getManager(), f, h, w).get(1));
        }

        @Override
        public int blocks() {
            return blocks.size();
        }

        @Override
        public Entry enter() {
            try (ForwardContext.Scope ctx = ForwardContext.timesteps(timestep)) {
                int[] p = config.patchSize();
                NDArray patches = latents.reshape(b, c, pf, p[0], ph, p[1], pw, p[2])
                        .transpose(0, 2, 4, 6, 1, 3, 5, 7)
                        .reshape(b, pf * ph * pw, c * p[0] * p[1] * p[2]);
                NDArray weight = patchWeight.getArray().reshape(config.innerDim(), -1);
                NDArray x = Linear.product(patches, weight, patchBias.getArray());
                NDList cond = conditionEmbedder.forward(timestep, text);
                NDArray temb = cond.get(0);
                NDArray timestepProj = cond.get(1).reshape(b, 6, -1);
                NDArray context = cond.get(2);
                return new Entry(new NDList(x), new NDList(context, timestepProj, temb));
            }
        }

        @Override
        public NDList block(int index, NDList stream, NDList shared) {
            try (ForwardContext.Scope ctx = ForwardContext.timesteps(timestep)) {
                WanTransformerBlock block = blocks.get(index);
                return new NDList(Scopes.scoped(() -> block.forward(stream.get(0), shared.get(0), shared.get(1),
                        cos, sin)));
            }
        }

        @Override
        public NDArray exit(NDList stream, NDList shared) {
            try (ForwardContext.Scope ctx = ForwardContext.timesteps(timestep)) {
                NDArray x = stream.get(0);
                NDArray temb = shared.get(2);
                // float32 modulation of float32-normed tokens, cast back: diffusers' precision in half runs
                NDList shiftScale = scaleShiftTable.getArray().add(temb.expandDims(1)).split(2, 1);
                x = Precision.like(normOut.forward(x.toType(DataType.FLOAT32, false))
                        .mul(Scalars.add(shiftScale.get(1), 1f)).add(shiftScale.get(0)), x);
                x = projOut.forward(x);
                int[] p = config.patchSize();
                long oc = config.outChannels();
                return x.reshape(b, pf, ph, pw, p[0], p[1], p[2], oc)
                        .transpose(0, 7, 1, 4, 2, 5, 3, 6)
                        .reshape(b, oc, pf * p[0], ph * p[1], pw * p[2]);
            }
        }
    }

    /** The Conv3d patch embedding's parameters under their published names. */
    private static final class PatchEmbedding extends Module {
        private final Parameter weight;
        private final Parameter bias;

        PatchEmbedding(int in, int dim, int[] p) {
            weight = param("weight", new Shape(dim, in, p[0], p[1], p[2]));
            bias = param("bias", new Shape(dim));
        }
    }
}

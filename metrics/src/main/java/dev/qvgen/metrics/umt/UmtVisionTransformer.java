package dev.qvgen.metrics.umt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.metrics.backbone.VitMlp;
import dev.qvgen.layers.weights.TorchPickle;
import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.nn.Attention;
import dev.qvgen.layers.nn.LayerNorm;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.ModuleList;
import dev.qvgen.layers.nn.Scopes;

import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * The UMT video classifier VBench's human_action runs ({@code vit_large_patch16_224} of its
 * {@code third_party/umt/models/modeling_finetune.py} with tubelet 1, mean pooling and a
 * 400-way Kinetics head, weights {@code l16_ptk710_ftk710_ftk400_f16_res224.pth}): per-frame
 * 16 x 16 patches, fixed sine-cosine positions ({@link UmtPositions}), pre-norm blocks whose
 * qkv projection has a q and a v bias but no k bias, the mean token through {@code fc_norm},
 * then {@code head}. Parameter names are the published ones.
 */
public final class UmtVisionTransformer extends Module {

    /** Architecture numbers; a checkpoint gives shapes but not the head count. */
    public record Config(int patchSize, int embedDim, int depth, int numHeads, int mlpHidden, int numClasses,
                         float eps, int frames) {
        /** vit_large_patch16_224 with the Kinetics-400 head on 16-frame clips, as VBench builds it. */
        public static Config large400() {
            return new Config(16, 1024, 24, 16, 4096, 400, 1e-6f, 16);
        }

        /** Tokens of a clip: frames x 14 x 14 patches of 224 x 224 frames. */
        public int tokens() {
            return frames * UmtPositions.PRE_PATCHES;
        }
    }

    private final Config config;
    private final Parameter patchWeight;
    private final Parameter patchBias;
    private final ModuleList<Block> blocks;
    private final LayerNorm fcNorm;
    private final Linear head;
    /** The checkpoint's trained table (tokens, dim), or null to compute the fixed one. */
    private volatile float[] storedPositions;
    private volatile float[] fixedPositions;

    public UmtVisionTransformer(Config c) {
        this.config = c;
        PatchEmbed pe = child("patch_embed", new PatchEmbed(c));
        patchWeight = pe.weight;
        patchBias = pe.bias;
        blocks = child("blocks", new ModuleList<>());
        for (int i = 0; i < c.depth(); i++) {
            blocks.add(new Block(c));
        }
        fcNorm = child("fc_norm", new LayerNorm(c.embedDim(), c.eps(), true));
        head = child("head", new Linear(c.embedDim(), c.numClasses(), true));
    }

    /**
     * Loads a torch.save state dict. Like VBench's {@code load_state_dict(strict=False)} it ignores
     * tensors the classifier has no use for; unlike it, a missing one is an error naming the file,
     * not a silently random layer.
     */
    public static UmtVisionTransformer load(Path pth, Config config, NDManager manager) {
        try (TorchPickle source = TorchPickle.open(pth)) {
            UmtVisionTransformer model = new UmtVisionTransformer(config);
            Set<String> extra = new TreeSet<>(source.names());
            extra.removeAll(model.namedParameters().keySet());
            WeightLoader.load(model, source, manager, extra);
            if (source.names().contains("pos_embed")) {
                long[] shape = source.info("pos_embed").shape();
                if (shape.length != 3 || shape[1] != config.tokens() || shape[2] != config.embedDim()) {
                    throw new CheckpointException(pth + ": pos_embed has shape " + java.util.Arrays.toString(shape)
                            + ", expected [1, " + config.tokens() + ", " + config.embedDim() + "]");
                }
                try (NDArray pos = source.load("pos_embed", manager)) {
                    model.usePositions(pos.toFloatArray());
                }
            }
            return model;
        }
    }

    public Config config() {
        return config;
    }

    /** Uses a checkpoint's trained (tokens, dim) table instead of the fixed one. */
    void usePositions(float[] table) {
        if (table.length != (long) config.tokens() * config.embedDim()) {
            throw new IllegalArgumentException("position table of " + table.length + " values, expected "
                    + config.tokens() + " x " + config.embedDim());
        }
        storedPositions = table.clone();
    }

    /**
     * @param clip normalised frames (B, 3, T, H, W)
     * @return logits (B, numClasses)
     */
    public NDArray forward(NDArray clip) {
        return head.forward(features(clip));
    }

    /** The pooled, fc_norm-ed features (B, embedDim) before the head. */
    public NDArray features(NDArray clip) {
        Shape s = clip.getShape();
        long b = s.get(0);
        int t = (int) s.get(2);
        int p = config.patchSize();
        int hp = (int) (s.get(3) / p);
        int wp = (int) (s.get(4) / p);
        int d = config.embedDim();
        // Conv3d with a (1, p, p) kernel and stride is one patch matrix product per frame
        NDArray frames = clip.transpose(0, 2, 1, 3, 4).reshape(b * t, 3, hp * p, wp * p);
        NDArray patches = frames.reshape(b * t, 3, hp, p, wp, p).transpose(0, 2, 4, 1, 3, 5)
                .reshape(b, (long) t * hp * wp, 3L * p * p);
        NDArray w = patchWeight.getArray().reshape(d, 3L * p * p);
        NDArray x = Linear.product(patches, w, patchBias.getArray());
        long tokens = (long) t * hp * wp;
        float[] table = positions(t, hp * wp, tokens);
        x = x.add(clip.getManager().create(table, new Shape(1, tokens, d)));
        for (Block block : blocks.items()) {
            NDArray in = x;
            x = Scopes.scoped(() -> block.forward(in));
            in.close(); // each block's input (a whole clip's tokens) is dead once the block has run
        }
        return fcNorm.forward(x.mean(new int[] {1}));
    }

    private float[] positions(int frames, int patchesPerFrame, long tokens) {
        if (tokens != config.tokens() || patchesPerFrame != UmtPositions.PRE_PATCHES) {
            throw new IllegalArgumentException("UMT takes " + config.frames() + " frames of 224 x 224, got " + frames
                    + " frames of " + patchesPerFrame + " patches");
        }
        if (storedPositions != null) {
            return storedPositions;
        }
        float[] table = fixedPositions;
        if (table == null) {
            // made once (1.6M sin/cos for the published width) and shared by the scoring threads
            table = UmtPositions.table(frames, patchesPerFrame, config.embedDim());
            fixedPositions = table;
        }
        return table;
    }

    /** The Conv3d patch projection's parameters under their published names. */
    private static final class PatchEmbed extends Module {
        final Parameter weight;
        final Parameter bias;

        PatchEmbed(Config c) {
            Proj proj = child("proj", new Proj(c));
            weight = proj.weight;
            bias = proj.bias;
        }
    }

    private static final class Proj extends Module {
        final Parameter weight;
        final Parameter bias;

        Proj(Config c) {
            weight = param("weight", new Shape(c.embedDim(), 3, 1, c.patchSize(), c.patchSize()));
            bias = param("bias", new Shape(c.embedDim()));
        }
    }

    static final class Block extends Module {
        private final LayerNorm norm1;
        private final SelfAttention attn;
        private final LayerNorm norm2;
        private final VitMlp mlp;

        Block(Config c) {
            norm1 = child("norm1", new LayerNorm(c.embedDim(), c.eps(), true));
            attn = child("attn", new SelfAttention(c));
            norm2 = child("norm2", new LayerNorm(c.embedDim(), c.eps(), true));
            mlp = child("mlp", new VitMlp(c.embedDim(), c.mlpHidden()));
        }

        NDArray forward(NDArray x) {
            x = x.add(attn.forward(norm1.forward(x)));
            return x.add(mlp.forward(norm2.forward(x)));
        }
    }

    /** qkv without bias plus q_bias and v_bias parameters: the k part of the bias is zero. */
    static final class SelfAttention extends Module {
        private final int heads;
        private final Parameter qkvWeight;
        private final Parameter qBias;
        private final Parameter vBias;
        private final Linear proj;

        SelfAttention(Config c) {
            heads = c.numHeads();
            int d = c.embedDim();
            qkvWeight = child("qkv", new BiasFree(3 * d, d)).weight;
            qBias = param("q_bias", new Shape(d));
            vBias = param("v_bias", new Shape(d));
            proj = child("proj", new Linear(d, d, true));
        }

        NDArray forward(NDArray x) {
            Shape s = x.getShape();
            long b = s.get(0);
            long n = s.get(1);
            long d = s.get(2);
            NDArray q = qBias.getArray();
            NDArray zeros = x.getManager().zeros(q.getShape(), q.getDataType(), q.getDevice());
            NDArray qkvBias = NDArrays.concat(new NDList(q, zeros, vBias.getArray()));
            NDArray qkv = Linear.product(x, qkvWeight.getArray(), qkvBias);
            NDArray split = qkv.reshape(b, n, 3, heads, d / heads).transpose(2, 0, 3, 1, 4);
            NDArray o = Attention.scaledDotProduct(split.get(0), split.get(1), split.get(2));
            return proj.forward(o.transpose(0, 2, 1, 3).reshape(b, n, d));
        }
    }

    private static final class BiasFree extends Module {
        final Parameter weight;

        BiasFree(int out, int in) {
            weight = param("weight", new Shape(out, in));
        }
    }
}

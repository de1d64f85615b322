package dev.qvgen.metrics.backbone;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.nn.LayerNorm;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.ModuleList;
import dev.qvgen.layers.weights.TorchPickle;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * DINO's VisionTransformer (facebookresearch/dino vision_transformer.py) for inference: the
 * final-norm CLS token, with the reference's bicubic position-embedding interpolation for
 * inputs other than the pre-training grid (VBench feeds 224 x 398 frames, for example).
 * Parameter names are the published state-dict names ({@code dino_vitbase16_pretrain.pth}).
 */
public final class DinoVisionTransformer extends Module {

    /** Architecture numbers; the checkpoint gives shapes but not the head count. */
    public record Config(int patchSize, int embedDim, int depth, int numHeads, double mlpRatio, float eps) {
        /** dino_vitb16, the model VBench's subject_consistency loads. */
        public static Config vitBase16() {
            return new Config(16, 768, 12, 12, 4.0, 1e-6f);
        }
    }

    private final Config config;
    private final int numPatches;
    private final Parameter clsToken;
    private final Parameter posEmbed;
    private final PatchEmbed patchEmbed;
    private final ModuleList<Block> blocks;
    private final LayerNorm norm;
    private final Map<Long, float[]> posCache = new ConcurrentHashMap<>();

    /** @param numPatches patches of the pre-training grid (196 for 224 / 16) */
    public DinoVisionTransformer(Config config, int numPatches) {
        this.config = config;
        this.numPatches = numPatches;
        int d = config.embedDim();
        clsToken = param("cls_token", new Shape(1, 1, d));
        posEmbed = param("pos_embed", new Shape(1, numPatches + 1, d));
        patchEmbed = child("patch_embed", new PatchEmbed(config.patchSize(), d));
        blocks = child("blocks", new ModuleList<>());
        for (int i = 0; i < config.depth(); i++) {
            blocks.add(new Block(config));
        }
        norm = child("norm", new LayerNorm(d, config.eps(), true));
    }

    /**
     * Loads a DINO ViT from a torch.save state dict (the published {@code dino_vit*_pretrain.pth});
     * the pre-training grid comes from the file's {@code pos_embed}.
     */
    public static DinoVisionTransformer load(Path pth, Config config, NDManager manager) {
        try (TorchPickle source = TorchPickle.open(pth)) {
            if (!source.names().contains("pos_embed")) {
                throw new CheckpointException(pth + ": no pos_embed tensor, not a DINO ViT state dict");
            }
            long[] pos = source.info("pos_embed").shape();
            if (pos.length != 3 || pos[2] != config.embedDim()) {
                throw new CheckpointException(pth + ": pos_embed has shape " + java.util.Arrays.toString(pos)
                        + ", expected (1, N+1, " + config.embedDim() + ")");
            }
            DinoVisionTransformer model = new DinoVisionTransformer(config, (int) pos[1] - 1);
            // a classification head (absent in the pretrain files) is not part of the feature model
            Set<String> ignored = Set.of("head.weight", "head.bias");
            WeightLoader.load(model, source, manager, ignored);
            return model;
        }
    }

    public Config config() {
        return config;
    }

    /** CLS features (B, D) of normalised images (B, 3, H, W); H and W need not be 224. */
    public NDArray forward(NDArray x) {
        Shape s = x.getShape();
        long b = s.get(0);
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        NDArray tokens = patchEmbed.forward(x);
        // zeros + token keeps the copy in the caller's manager (the parameter's manager is shared)
        NDArray cls = tokens.getManager().zeros(new Shape(b, 1, config.embedDim())).add(clsToken.getArray());
        tokens = NDArrays.concat(new NDList(cls, tokens), 1);
        tokens = tokens.add(positions(tokens, h, w));
        for (Block block : blocks.items()) {
            tokens = MultiHead.scoped(tokens, block::forward);
        }
        return norm.forward(tokens).get(":, 0, :");
    }

    /** The reference's interpolate_pos_encoding, computed once per input size. */
    private NDArray positions(NDArray tokens, int h, int w) {
        int p = config.patchSize();
        int hp = h / p;
        int wp = w / p;
        int d = config.embedDim();
        NDManager m = tokens.getManager();
        if (hp * wp == numPatches && h == w) {
            return posEmbed.getArray();
        }
        float[] table = posCache.computeIfAbsent(((long) hp << 32) | wp, k -> interpolate(hp, wp));
        return m.create(table, new Shape(1, (long) hp * wp + 1, d));
    }

    private float[] interpolate(int hp, int wp) {
        int d = config.embedDim();
        float[] pos = posEmbed.getArray().toFloatArray();
        int side = (int) Math.sqrt(numPatches);
        if (side * side != numPatches) {
            throw new IllegalStateException("pos_embed grid of " + numPatches + " patches is not square");
        }
        // (side*side, d) patch embeddings -> (d, side, side) planes
        float[] planes = new float[d * numPatches];
        for (int i = 0; i < numPatches; i++) {
            for (int c = 0; c < d; c++) {
                planes[c * numPatches + i] = pos[(i + 1) * d + c];
            }
        }
        // scale_factor = (hp + 0.1) / sqrt(N) in double; ATen uses (float)(1 / scale_factor)
        double sqrtN = Math.sqrt(numPatches);
        double sh = (hp + 0.1) / sqrtN;
        double sw = (wp + 0.1) / sqrtN;
        int outH = (int) Math.floor(side * sh);
        int outW = (int) Math.floor(side * sw);
        if (outH != hp || outW != wp) {
            throw new IllegalStateException("position interpolation gave " + outH + "x" + outW + ", expected "
                    + hp + "x" + wp);
        }
        float[] resized = TorchResize.bicubicScaled(planes, d, side, side, hp, wp, (float) (1.0 / sh),
                (float) (1.0 / sw));
        float[] out = new float[(hp * wp + 1) * d];
        System.arraycopy(pos, 0, out, 0, d);
        int n = hp * wp;
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < d; c++) {
                out[(i + 1) * d + c] = resized[c * n + i];
            }
        }
        return out;
    }

    /** Conv2d(3, D, p, stride p) as a product over flattened patches. */
    static final class PatchEmbed extends Module {
        private final ConvPatch proj;

        PatchEmbed(int patch, int dim) {
            proj = child("proj", new ConvPatch(patch, dim, true));
        }

        NDArray forward(NDArray x) {
            return proj.forward(x);
        }
    }

    static final class Block extends Module {
        private final LayerNorm norm1;
        private final SelfAttention attn;
        private final LayerNorm norm2;
        private final VitMlp mlp;

        Block(Config c) {
            norm1 = child("norm1", new LayerNorm(c.embedDim(), c.eps(), true));
            attn = child("attn", new SelfAttention(c.embedDim(), c.numHeads()));
            norm2 = child("norm2", new LayerNorm(c.embedDim(), c.eps(), true));
            mlp = child("mlp", new VitMlp(c.embedDim(), (int) (c.embedDim() * c.mlpRatio())));
        }

        NDArray forward(NDArray x) {
            x = x.add(attn.forward(norm1.forward(x)));
            return x.add(mlp.forward(norm2.forward(x)));
        }
    }

    static final class SelfAttention extends Module {
        private final int heads;
        private final Linear qkv;
        private final Linear proj;

        SelfAttention(int dim, int heads) {
            this.heads = heads;
            qkv = child("qkv", new Linear(dim, 3 * dim, true));
            proj = child("proj", new Linear(dim, dim, true));
        }

        NDArray forward(NDArray x) {
            return proj.forward(MultiHead.attend(qkv.forward(x), heads, null));
        }
    }
}

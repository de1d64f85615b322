package dev.qvgen.metrics.backbone;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.io.WeightSource;
import dev.qvgen.layers.nn.Embedding;
import dev.qvgen.layers.nn.LayerNorm;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.ModuleList;
import dev.qvgen.layers.nn.Scalars;
import dev.qvgen.layers.weights.TorchPickle;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;

/**
 * OpenAI CLIP with a ViT image tower (openai/CLIP clip/model.py, {@code CLIP} with QuickGELU),
 * for inference. Parameter names are the state-dict names of the published TorchScript
 * archives ({@code ViT-B-32.pt}, {@code ViT-L-14.pt}); the configuration is read off the tensor
 * shapes exactly as {@code clip.model.build_model} does. LayerNorm eps is torch's 1e-5.
 */
public final class ClipModel extends Module {
    static final float EPS = 1e-5f;

    /** The numbers {@code build_model} derives from a state dict. */
    public record Config(int embedDim, int imageResolution, int visionLayers, int visionWidth, int visionPatchSize,
                         int contextLength, int vocabSize, int transformerWidth, int transformerHeads,
                         int transformerLayers) {
        public int visionHeads() {
            return visionWidth / 64;
        }
    }

    private final Config config;
    private final VisionTower visual;
    private final Transformer transformer;
    private final Embedding tokenEmbedding;
    private final Parameter positionalEmbedding;
    private final LayerNorm lnFinal;
    private final Parameter textProjection;
    private final Parameter logitScale;

    public ClipModel(Config c) {
        this.config = c;
        visual = child("visual", new VisionTower(c));
        transformer = child("transformer", new Transformer(c.transformerWidth(), c.transformerLayers(),
                c.transformerHeads()));
        tokenEmbedding = child("token_embedding", new Embedding(c.vocabSize(), c.transformerWidth()));
        positionalEmbedding = param("positional_embedding", new Shape(c.contextLength(), c.transformerWidth()));
        lnFinal = child("ln_final", new LayerNorm(c.transformerWidth(), EPS, true));
        textProjection = param("text_projection", new Shape(c.transformerWidth(), c.embedDim()));
        logitScale = param("logit_scale", new Shape());
    }

    /** build_model's reading of the shapes; the text heads are width / 64 unless given. */
    public static Config inferConfig(WeightSource source, Integer transformerHeads) {
        require(source, "visual.proj");
        long[] conv = shape(source, "visual.conv1.weight");
        int visionWidth = (int) conv[0];
        int patch = (int) conv[3];
        int visionLayers = countLayers(source, "visual.transformer.resblocks.");
        int grid = (int) Math.round(Math.sqrt(shape(source, "visual.positional_embedding")[0] - 1));
        int embedDim = (int) shape(source, "text_projection")[1];
        int context = (int) shape(source, "positional_embedding")[0];
        int vocab = (int) shape(source, "token_embedding.weight")[0];
        int width = (int) shape(source, "ln_final.weight")[0];
        int layers = countLayers(source, "transformer.resblocks.");
        int heads = transformerHeads != null ? transformerHeads : width / 64;
        return new Config(embedDim, patch * grid, visionLayers, visionWidth, patch, context, vocab, width, heads,
                layers);
    }

    /**
     * Loads CLIP from a torch.save state dict or a TorchScript archive ({@code ViT-B-32.pt}).
     *
     * @param transformerHeads text-tower heads, or null for build_model's width / 64
     */
    public static ClipModel load(Path file, Integer transformerHeads, NDManager manager) {
        try (TorchPickle source = TorchPickle.open(file)) {
            ClipModel model = new ClipModel(inferConfig(source, transformerHeads));
            Set<String> ignored = new TreeSet<>();
            if (source.torchScript()) {
                // a scripted module pickles every tensor attribute; only the parameters are checked
                ignored.addAll(source.names());
                ignored.removeAll(model.namedParameters().keySet());
            }
            for (String name : source.names()) {
                // build_model drops these bookkeeping entries; attn_mask is a TorchScript attribute, not a weight
                if (name.equals("input_resolution") || name.equals("context_length") || name.equals("vocab_size")
                        || name.endsWith(".attn_mask")) {
                    ignored.add(name);
                }
            }
            WeightLoader.load(model, source, manager, ignored);
            return model;
        }
    }

    private static void require(WeightSource source, String name) {
        if (!source.names().contains(name)) {
            throw new CheckpointException(source.describe() + ": no tensor " + name
                    + ", not a CLIP ViT checkpoint (ResNet CLIP models are not supported)");
        }
    }

    private static long[] shape(WeightSource source, String name) {
        require(source, name);
        return source.info(name).shape();
    }

    /** Residual attention blocks under {@code prefix} ({@code <prefix><i>.attn.in_proj_weight}). */
    public static int countLayers(WeightSource source, String prefix) {
        int n = 0;
        while (source.names().contains(prefix + n + ".attn.in_proj_weight")) {
            n++;
        }
        return n;
    }

    public Config config() {
        return config;
    }

    /** {@code encode_image}: (B, 3, R, R) normalised images to (B, embed_dim), not normalised. */
    public NDArray encodeImage(NDArray images) {
        return visual.forward(images);
    }

    /** {@code encode_text}: (B, context) token ids (EOT = the highest id of each row) to (B, embed_dim). */
    public NDArray encodeText(long[][] tokens, NDManager manager) {
        return encodeTokens(tokens, tokenEmbedding, positionalEmbedding.getArray(), transformer, lnFinal,
                textProjection.getArray(), manager);
    }

    /**
     * CLIP's text forward, shared with towers of the same design (ViCLIP's {@code CLIP_TEXT}):
     * token + position embeddings, the causal transformer, ln_final, and the row of each
     * sequence's EOT token (its highest id) projected by {@code projection}.
     */
    public static NDArray encodeTokens(long[][] tokens, Embedding tokenEmbedding, NDArray positionalEmbedding,
                                       Transformer transformer, LayerNorm lnFinal, NDArray projection,
                                       NDManager manager) {
        int b = tokens.length;
        int ctx = (int) positionalEmbedding.getShape().get(0);
        long[] flat = new long[b * ctx];
        int[] eot = new int[b];
        for (int i = 0; i < b; i++) {
            if (tokens[i].length != ctx) {
                throw new IllegalArgumentException("token row " + i + " has " + tokens[i].length
                        + " ids, expected the context length " + ctx);
            }
            System.arraycopy(tokens[i], 0, flat, i * ctx, ctx);
            for (int j = 1; j < ctx; j++) {
                if (tokens[i][j] > tokens[i][eot[i]]) {
                    eot[i] = j; // argmax: first position of the highest id
                }
            }
        }
        NDArray ids = manager.create(flat, new Shape(b, ctx));
        NDArray x = tokenEmbedding.lookup(ids).add(positionalEmbedding);
        x = transformer.forward(x, causalMask(manager, ctx));
        x = lnFinal.forward(x);
        NDList rows = new NDList();
        for (int i = 0; i < b; i++) {
            rows.add(x.get(i, eot[i]));
        }
        return NDArrays.stack(rows).matMul(projection);
    }

    /** The learnt log temperature; {@code exp(logit_scale)} scales the cosine logits (100 in OpenAI's models). */
    public float logitScale() {
        return logitScale.getArray().toFloatArray()[0];
    }

    /** {@code logits_per_image}: exp(logit_scale) * normalised image . normalised text. */
    public NDArray logitsPerImage(NDArray imageEmbeds, NDArray textEmbeds) {
        NDArray img = l2Normalize(imageEmbeds);
        NDArray txt = l2Normalize(textEmbeds);
        float scale = (float) Math.exp(logitScale.getArray().toFloatArray()[0]);
        return Scalars.mul(img.matMul(txt.transpose()), scale);
    }

    /** x / ||x|| over the last axis (F.normalize with p=2; eps 1e-12 never matters for features). */
    public static NDArray l2Normalize(NDArray x) {
        return x.div(x.square().sum(new int[] {-1}, true).sqrt().maximum(1e-12f));
    }

    /** The additive (n, n) mask that hides later positions: -inf above the diagonal. */
    public static NDArray causalMask(NDManager manager, int n) {
        float[] mask = new float[n * n];
        for (int i = 0; i < n; i++) {
            Arrays.fill(mask, i * n + i + 1, (i + 1) * n, Float.NEGATIVE_INFINITY);
        }
        return manager.create(mask, new Shape(n, n));
    }

    static final class VisionTower extends Module {
        private final int width;
        private final ConvPatch conv1;
        private final Parameter classEmbedding;
        private final Parameter positionalEmbedding;
        private final LayerNorm lnPre;
        private final Transformer transformer;
        private final LayerNorm lnPost;
        private final Parameter proj;
        private final int resolution;

        VisionTower(Config c) {
            width = c.visionWidth();
            resolution = c.imageResolution();
            int grid = c.imageResolution() / c.visionPatchSize();
            conv1 = child("conv1", new ConvPatch(c.visionPatchSize(), width, false));
            classEmbedding = param("class_embedding", new Shape(width));
            positionalEmbedding = param("positional_embedding", new Shape((long) grid * grid + 1, width));
            lnPre = child("ln_pre", new LayerNorm(width, EPS, true));
            transformer = child("transformer", new Transformer(width, c.visionLayers(), c.visionHeads()));
            lnPost = child("ln_post", new LayerNorm(width, EPS, true));
            proj = param("proj", new Shape(width, c.embedDim()));
        }

        NDArray forward(NDArray x) {
            Shape s = x.getShape();
            if (s.dimension() != 4 || s.get(2) != resolution || s.get(3) != resolution) {
                throw new IllegalArgumentException("CLIP image tower needs (B, 3, " + resolution + ", " + resolution
                        + ") input, got " + s);
            }
            long b = s.get(0);
            NDArray tokens = conv1.forward(x);
            NDArray cls = tokens.getManager().zeros(new Shape(b, 1, width)).add(classEmbedding.getArray());
            tokens = NDArrays.concat(new NDList(cls, tokens), 1).add(positionalEmbedding.getArray());
            tokens = transformer.forward(lnPre.forward(tokens), null);
            return lnPost.forward(tokens.get(":, 0, :")).matMul(proj.getArray());
        }
    }

    /** CLIP's {@code Transformer}: pre-LN blocks of torch MultiheadAttention and a QuickGELU MLP (batch-first here). */
    public static final class Transformer extends Module {
        private final ModuleList<ResidualAttentionBlock> resblocks;

        public Transformer(int width, int layers, int heads) {
            resblocks = child("resblocks", new ModuleList<>());
            for (int i = 0; i < layers; i++) {
                resblocks.add(new ResidualAttentionBlock(width, heads));
            }
        }

        /** (B, N, width) with an additive (N, N) mask or null. */
        public NDArray forward(NDArray x, NDArray mask) {
            for (ResidualAttentionBlock block : resblocks.items()) {
                x = MultiHead.scoped(x, in -> block.forward(in, mask));
            }
            return x;
        }
    }

    static final class ResidualAttentionBlock extends Module {
        private final MultiheadAttention attn;
        private final LayerNorm ln1;
        private final Mlp mlp;
        private final LayerNorm ln2;

        ResidualAttentionBlock(int width, int heads) {
            attn = child("attn", new MultiheadAttention(width, heads));
            ln1 = child("ln_1", new LayerNorm(width, EPS, true));
            mlp = child("mlp", new Mlp(width));
            ln2 = child("ln_2", new LayerNorm(width, EPS, true));
        }

        NDArray forward(NDArray x, NDArray mask) {
            x = x.add(attn.forward(ln1.forward(x), mask));
            return x.add(mlp.forward(ln2.forward(x)));
        }
    }

    /** torch.nn.MultiheadAttention (batch-first here) with packed in_proj weights. */
    static final class MultiheadAttention extends Module {
        private final int heads;
        private final Parameter inProjWeight;
        private final Parameter inProjBias;
        private final Linear outProj;

        MultiheadAttention(int width, int heads) {
            this.heads = heads;
            inProjWeight = param("in_proj_weight", new Shape(3L * width, width));
            inProjBias = param("in_proj_bias", new Shape(3L * width));
            outProj = child("out_proj", new Linear(width, width, true));
        }

        NDArray forward(NDArray x, NDArray mask) {
            NDArray qkv = Linear.product(x, inProjWeight.getArray(), inProjBias.getArray());
            return outProj.forward(MultiHead.attend(qkv, heads, mask));
        }
    }

    static final class Mlp extends Module {
        private final Linear cFc;
        private final Linear cProj;

        Mlp(int width) {
            cFc = child("c_fc", new Linear(width, 4 * width, true));
            cProj = child("c_proj", new Linear(4 * width, width, true));
        }

        NDArray forward(NDArray x) {
            NDArray h = cFc.forward(x);
            // QuickGELU: x * sigmoid(1.702 x), the activation the OpenAI checkpoints were trained with
            h = h.mul(Activation.sigmoid(Scalars.mul(h, 1.702f)));
            return cProj.forward(h);
        }
    }
}

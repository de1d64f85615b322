package dev.qvgen.metrics.musiq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.pooling.Pool;

import dev.qvgen.metrics.backbone.VitMlp;
import dev.qvgen.layers.weights.TorchPickle;
import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.RenamedWeights;
import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.io.WeightSource;
import dev.qvgen.layers.nn.LayerNorm;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.Scalars;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * MUSIQ, the multi-scale image quality transformer, as pyiqa implements it
 * (pyiqa/archs/musiq_arch.py), for inference: every 32-px patch of the multi-scale input
 * ({@link MusiqPatches}) goes through a weight-standardised ResNet stem and one bottleneck
 * block, is flattened in TensorFlow's (row, column, channel) order and embedded; hashed spatial
 * and scale embeddings are added, a CLS token is prepended, a pre-norm transformer encoder runs
 * with padding patches masked out, and a linear head on the CLS token gives the score (with
 * {@code num_class > 1}, a softmax and the mean opinion score {@code sum(p_i * i)}).
 * Parameter names are the keys of the published checkpoints (VBench's imaging_quality uses
 * {@code musiq_spaq_ckpt-358bb6af.pth}: hidden 384, MLP 1152, 14 layers, 6 heads, one class).
 */
public final class Musiq extends Module {
    /** ResNet stem width (pyiqa's resnet_token_dim). */
    static final int TOKEN_DIM = 64;
    /** GroupNorm groups everywhere in the stem. */
    static final int GROUPS = 32;
    /** The value masked attention logits are set to (pyiqa's masked_fill, not -inf). */
    static final float MASKED = -1e3f;

    /**
     * The architecture and the input pipeline.
     *
     * @param longerSides              longer side of each resized scale (pyiqa default 224, 384)
     * @param maxSeqLenFromOriginalRes patches kept from the original resolution (&lt; 0: all, null: none)
     */
    public record Config(int patchSize, int hiddenSize, int mlpDim, int numHeads, int numLayers, int numScales,
                         int gridSize, int numClass, List<Integer> longerSides, Integer maxSeqLenFromOriginalRes) {
        public Config {
            if (patchSize % 4 != 0 || hiddenSize % numHeads != 0) {
                throw new IllegalArgumentException("MUSIQ needs patch size divisible by 4 and hidden size by heads, "
                        + "got patch " + patchSize + ", hidden " + hiddenSize + ", heads " + numHeads);
            }
            longerSides = List.copyOf(longerSides);
        }

        /** pyiqa's MUSIQ defaults with the SPAQ checkpoint's single output, as VBench builds it. */
        public static Config spaq() {
            return new Config(32, 384, 1152, 6, 14, 3, 10, 1, List.of(224, 384), -1);
        }
    }

    private final Config config;
    private final StdConv convRoot;
    private final GroupNorm gnRoot;
    private final Bottleneck block1;
    private final Linear embedding;
    private final Encoder encoder;
    private final Linear head;

    public Musiq(Config c) {
        this.config = c;
        int token = c.patchSize() / 4;
        convRoot = child("conv_root", new StdConv(3, TOKEN_DIM, 7, 2));
        gnRoot = child("gn_root", new GroupNorm(TOKEN_DIM, 1e-6f));
        block1 = child("block1", new Bottleneck(TOKEN_DIM, TOKEN_DIM * 4));
        embedding = child("embedding", new Linear(TOKEN_DIM * 4 * token * token, c.hiddenSize(), true));
        encoder = child("transformer_encoder", new Encoder(c));
        if (c.numClass() > 1) {
            // nn.Sequential(Linear, Softmax): the Linear is "head.0"
            head = child("head", new Seq(new Linear(c.hiddenSize(), c.numClass(), true))).linear;
        } else {
            head = child("head", new Linear(c.hiddenSize(), c.numClass(), true));
        }
    }

    public Config config() {
        return config;
    }

    /**
     * Loads a published checkpoint (a state dict, optionally with DataParallel's {@code module.}
     * prefix, which pyiqa's clean_state_dict strips); the sizes are read off the tensor shapes,
     * the input pipeline is pyiqa's default (longer sides 224 and 384 plus the original resolution).
     *
     * @param heads attention heads, or null for hidden / 64 (6 for the published checkpoints)
     */
    public static Musiq load(Path file, Integer heads, NDManager manager) {
        try (TorchPickle pickle = TorchPickle.open(file)) {
            WeightSource source = pickle.names().contains("module.embedding.weight")
                    ? RenamedWeights.withoutPrefix(pickle, "module.") : pickle; // pyiqa's clean_state_dict
            Musiq model = new Musiq(inferConfig(source, heads));
            WeightLoader.load(model, source, manager, Set.of());
            return model;
        }
    }

    /** Sizes from the checkpoint's shapes. */
    public static Config inferConfig(WeightSource source, Integer heads) {
        long[] emb = shape(source, "embedding.weight");
        int hidden = (int) emb[0];
        int token = (int) Math.round(Math.sqrt(emb[1] / (double) (TOKEN_DIM * 4)));
        if ((long) TOKEN_DIM * 4 * token * token != emb[1]) {
            throw new CheckpointException(source.describe() + ": embedding.weight has shape " + Arrays.toString(emb)
                    + ", expected (hidden, 256 * (patch/4)^2)");
        }
        String pre = "transformer_encoder.";
        int mlp = (int) shape(source, pre + "transformer.encoderblock_0.mlp.fc1.weight")[0];
        int layers = 0;
        while (source.names().contains(pre + "transformer.encoderblock_" + layers + ".mlp.fc1.weight")) {
            layers++;
        }
        int scales = (int) shape(source, pre + "scaleembed_input.scale_emb")[0];
        int grid = (int) Math.round(Math.sqrt(shape(source, pre + "posembed_input.position_emb")[1]));
        int classes = (int) (source.names().contains("head.0.weight") ? shape(source, "head.0.weight")[0]
                : shape(source, "head.weight")[0]);
        return new Config(token * 4, hidden, mlp, heads != null ? heads : Math.max(1, hidden / 64), layers, scales,
                grid, classes, List.of(224, 384), -1);
    }

    private static long[] shape(WeightSource source, String name) {
        if (!source.names().contains(name)) {
            throw new CheckpointException(source.describe() + ": no tensor " + name
                    + ", not a MUSIQ checkpoint (musiq_spaq_ckpt-358bb6af.pth)");
        }
        return source.info(name).shape();
    }

    /** The multi-scale patches of a (3, h, w) image with values in [0, 1], as MUSIQ's forward makes them. */
    public MusiqPatches.Sequence patches(float[] chw01, int h, int w) {
        float[] x = new float[chw01.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (chw01[i] - 0.5f) * 2f; // "normalize inputs to [-1, 1] as the official code"
        }
        return MusiqPatches.extract(x, h, w, config.patchSize(), config.patchSize(), config.gridSize(),
                config.longerSides(), config.maxSeqLenFromOriginalRes());
    }

    /** The score of one (3, h, w) image with values in [0, 1] (pyiqa's MOS; VBench divides by 100). */
    public double score(float[] chw01, int h, int w, NDManager manager) {
        try (NDManager sub = manager.newSubManager()) {
            return mos(forwardCls(patches(chw01, h, w), sub)).toFloatArray()[0];
        }
    }

    /** The (1, hidden) CLS feature after the encoder norm, for one image's patch sequence. */
    public NDArray forwardCls(MusiqPatches.Sequence s, NDManager manager) {
        int p = s.patchSize();
        NDArray x = manager.create(s.pixels(), new Shape(s.length(), 3, p, p));
        x = convRoot.forward(x);
        x = gnRoot.forward(x).clip(0, Float.MAX_VALUE);
        x = Pool.maxPool2d(samePad(x, 3, 2), new Shape(3, 3), new Shape(2, 2), new Shape(0, 0), false);
        x = block1.forward(x);
        // channels last, as the TensorFlow original flattened its feature maps
        x = x.transpose(0, 2, 3, 1).reshape(1, s.length(), -1);
        x = embedding.forward(x);
        x = encoder.forward(x, s, manager);
        return x.get(":, 0, :");
    }

    /** The head on the CLS feature: (1, 1) score. */
    public NDArray mos(NDArray cls) {
        NDArray q = head.forward(cls);
        if (config.numClass() == 1) {
            return q;
        }
        NDArray weights = cls.getManager().arange(1f, config.numClass() + 1f);
        return q.softmax(-1).mul(weights).sum(new int[] {-1}, true);
    }

    /** TensorFlow "SAME" zero padding (pyiqa's exact_padding_2d): the floor half on top/left. */
    static NDArray samePad(NDArray x, int kernel, int stride) {
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        long padRow = Math.max(0, ((h + stride - 1) / stride - 1) * stride + kernel - h);
        long padCol = Math.max(0, ((w + stride - 1) / stride - 1) * stride + kernel - w);
        if (padRow == 0 && padCol == 0) {
            return x;
        }
        return x.pad(new Shape(padCol / 2, padCol - padCol / 2, padRow / 2, padRow - padRow / 2), 0);
    }

    /** pyiqa's StdConv: Conv2d without bias, weight standardised per output channel, "same" padding. */
    static final class StdConv extends Module {
        private final Parameter weight;
        private final int kernel;
        private final int stride;

        StdConv(int in, int out, int kernel, int stride) {
            this.kernel = kernel;
            this.stride = stride;
            weight = param("weight", new Shape(out, in, kernel, kernel));
        }

        NDArray forward(NDArray x) {
            NDArray w = weight.getArray();
            Shape ws = w.getShape();
            NDArray flat = w.reshape(ws.get(0), -1);
            long n = flat.getShape().get(1);
            NDArray centred = flat.sub(flat.mean(new int[] {1}, true));
            // torch.std: the unbiased (n - 1) estimate
            NDArray std = Scalars.div(centred.square().sum(new int[] {1}, true), (float) (n - 1)).sqrt();
            NDArray standard = centred.div(std.add(1e-5f)).reshape(ws);
            return Conv2d.conv2d(samePad(x, kernel, stride), standard, null, new Shape(stride, stride),
                    new Shape(0, 0), new Shape(1, 1), 1).singletonOrThrow();
        }
    }

    /** nn.GroupNorm(32, channels, eps). */
    static final class GroupNorm extends Module {
        private final Parameter weight;
        private final Parameter bias;
        private final int channels;
        private final float eps;

        GroupNorm(int channels, float eps) {
            this.channels = channels;
            this.eps = eps;
            weight = param("weight", new Shape(channels));
            bias = param("bias", new Shape(channels));
        }

        NDArray forward(NDArray x) {
            Shape s = x.getShape();
            NDArray g = x.reshape(s.get(0), GROUPS, -1);
            NDArray centred = g.sub(g.mean(new int[] {2}, true));
            NDArray var = centred.square().mean(new int[] {2}, true);
            NDArray normed = centred.div(var.add(eps).sqrt()).reshape(s);
            return normed.mul(weight.getArray().reshape(1, channels, 1, 1))
                    .add(bias.getArray().reshape(1, channels, 1, 1));
        }
    }

    /** pyiqa's Bottleneck (stride 1): three StdConv + GroupNorm(eps 1e-4) with a projected shortcut. */
    static final class Bottleneck extends Module {
        private final StdConv conv1;
        private final GroupNorm gn1;
        private final StdConv conv2;
        private final GroupNorm gn2;
        private final StdConv conv3;
        private final GroupNorm gn3;
        private final StdConv convProj;
        private final GroupNorm gnProj;

        Bottleneck(int in, int out) {
            conv1 = child("conv1", new StdConv(in, in, 1, 1));
            gn1 = child("gn1", new GroupNorm(in, 1e-4f));
            conv2 = child("conv2", new StdConv(in, in, 3, 1));
            gn2 = child("gn2", new GroupNorm(in, 1e-4f));
            conv3 = child("conv3", new StdConv(in, out, 1, 1));
            gn3 = child("gn3", new GroupNorm(out, 1e-4f));
            if (in != out) {
                convProj = child("conv_proj", new StdConv(in, out, 1, 1));
                gnProj = child("gn_proj", new GroupNorm(out, 1e-4f));
            } else {
                convProj = null;
                gnProj = null;
            }
        }

        NDArray forward(NDArray x) {
            NDArray identity = convProj == null ? x : gnProj.forward(convProj.forward(x));
            NDArray y = relu(gn1.forward(conv1.forward(x)));
            y = relu(gn2.forward(conv2.forward(y)));
            y = gn3.forward(conv3.forward(y));
            return relu(y.add(identity));
        }
    }

    private static NDArray relu(NDArray x) {
        return x.clip(0, Float.MAX_VALUE);
    }

    /** pyiqa's TransformerEncoder: hashed position and scale embeddings, CLS token, masked blocks, final norm. */
    static final class Encoder extends Module {
        private final Config config;
        private final Parameter positionEmb;
        private final Parameter scaleEmb;
        private final Parameter cls;
        private final LayerNorm encoderNorm;
        private final Block[] blocks;

        Encoder(Config c) {
            this.config = c;
            positionEmb = child("posembed_input", new Holder("position_emb",
                    new Shape(1, (long) c.gridSize() * c.gridSize(), c.hiddenSize()))).param;
            scaleEmb = child("scaleembed_input", new Holder("scale_emb",
                    new Shape(c.numScales(), c.hiddenSize()))).param;
            cls = param("cls", new Shape(1, 1, c.hiddenSize()));
            encoderNorm = child("encoder_norm", new LayerNorm(c.hiddenSize(), 1e-6f, true));
            Layers layers = child("transformer", new Layers(c));
            blocks = layers.blocks;
        }

        NDArray forward(NDArray x, MusiqPatches.Sequence s, NDManager manager) {
            int d = config.hiddenSize();
            long[] spatial = Arrays.stream(s.spatial()).asLongStream().toArray();
            long[] scale = Arrays.stream(s.scale()).asLongStream().toArray();
            NDArray pos = take(positionEmb.getArray().reshape(-1, d), manager.create(spatial));
            NDArray sc = take(scaleEmb.getArray(), manager.create(scale));
            x = x.add(pos.expandDims(0)).add(sc.expandDims(0));
            x = NDArrays.concat(new NDList(cls.getArray(), x), 1);
            int n = s.length() + 1;
            float[] mask = new float[n];
            mask[0] = 1f;
            for (int i = 0; i < s.length(); i++) {
                mask[i + 1] = s.mask()[i];
            }
            NDArray m = manager.create(mask);
            NDArray keep = m.reshape(n, 1).mul(m.reshape(1, n)).eq(0f).logicalNot().reshape(1, 1, n, n);
            for (Block b : blocks) {
                x = b.forward(x, keep);
            }
            return encoderNorm.forward(x);
        }

        private static NDArray take(NDArray table, NDArray ids) {
            NDArray out = table.get(ids);
            out.attach(ids.getManager());
            return out;
        }
    }

    /** A module holding one parameter (AddHashSpatialPositionEmbs, AddScaleEmbs). */
    static final class Holder extends Module {
        final Parameter param;

        Holder(String name, Shape shape) {
            param = param(name, shape);
        }
    }

    /** nn.Sequential(Linear, Softmax) of a multi-class head. */
    static final class Seq extends Module {
        final Linear linear;

        Seq(Linear linear) {
            this.linear = child("0", linear);
        }
    }

    /** The ModuleDict of encoder blocks, "encoderblock_i". */
    static final class Layers extends Module {
        final Block[] blocks;

        Layers(Config c) {
            blocks = new Block[c.numLayers()];
            for (int i = 0; i < blocks.length; i++) {
                blocks[i] = child("encoderblock_" + i, new Block(c));
            }
        }
    }

    /** pyiqa's TransformerBlock: pre-norm attention and GELU MLP, LayerNorm eps 1e-6. */
    static final class Block extends Module {
        private final LayerNorm norm1;
        private final Attention attention;
        private final LayerNorm norm2;
        private final VitMlp mlp;

        Block(Config c) {
            norm1 = child("norm1", new LayerNorm(c.hiddenSize(), 1e-6f, true));
            attention = child("attention", new Attention(c.hiddenSize(), c.numHeads()));
            norm2 = child("norm2", new LayerNorm(c.hiddenSize(), 1e-6f, true));
            mlp = child("mlp", new VitMlp(c.hiddenSize(), c.mlpDim()));
        }

        NDArray forward(NDArray x, NDArray keep) {
            x = x.add(attention.forward(norm1.forward(x), keep));
            return x.add(mlp.forward(norm2.forward(x)));
        }
    }

    /** pyiqa's MultiHeadAttention with separate query/key/value/out projections (with bias). */
    static final class Attention extends Module {
        private final Linear query;
        private final Linear key;
        private final Linear value;
        private final Linear out;
        private final int heads;

        Attention(int dim, int heads) {
            this.heads = heads;
            query = child("query", new Linear(dim, dim, true));
            key = child("key", new Linear(dim, dim, true));
            value = child("value", new Linear(dim, dim, true));
            out = child("out", new Linear(dim, dim, true));
        }

        NDArray forward(NDArray x, NDArray keep) {
            Shape s = x.getShape();
            long b = s.get(0);
            long n = s.get(1);
            long c = s.get(2);
            long hd = c / heads;
            NDArray q = query.forward(x).reshape(b, n, heads, hd).transpose(0, 2, 1, 3);
            NDArray k = key.forward(x).reshape(b, n, heads, hd).transpose(0, 2, 1, 3);
            NDArray v = value.forward(x).reshape(b, n, heads, hd).transpose(0, 2, 1, 3);
            NDArray attn = Scalars.mul(q.matMul(k.swapAxes(-1, -2)), (float) Math.pow(hd, -0.5));
            NDArray filled = x.getManager().full(attn.getShape(), MASKED, DataType.FLOAT32, x.getDevice());
            attn = NDArrays.where(keep.broadcast(attn.getShape()), attn, filled).softmax(-1);
            return out.forward(attn.matMul(v).transpose(0, 2, 1, 3).reshape(b, n, c));
        }
    }

}

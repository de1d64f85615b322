package dev.qvgen.metrics.tag2text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.metrics.backbone.ConvPatch;
import dev.qvgen.layers.weights.TorchPickle;
import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.io.WeightSource;
import dev.qvgen.layers.nn.LayerNorm;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.ModuleList;
import dev.qvgen.layers.nn.Scopes;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * The Swin Transformer image encoder of Tag2Text ({@code visual_encoder}, VBench's
 * {@code third_party/tag2Text/swin_transformer.py} as {@code tag2text.py} builds it for the
 * scene dimension): 4 x 4 patches with LayerNorm, stages of window attention blocks (every odd
 * block's windows shifted by half a window) joined by PatchMerging, a final LayerNorm, and the
 * mean token prepended to the tokens. Fixed by that build: 3 input channels, MLP ratio 4, qkv
 * bias, no absolute positions, LayerNorm eps 1e-5; dropout and drop-path are identities at
 * inference. Parameter names are the published ones.
 */
public final class SwinTransformer extends Module {
    static final float EPS = 1e-5f;
    static final int MLP_RATIO = 4;

    /**
     * Architecture numbers of one square-image Swin; a checkpoint gives widths but not head
     * counts or the window.
     */
    public record Config(int imageSize, int patchSize, int embedDim, int[] depths, int[] numHeads, int windowSize) {
        public Config {
            if (depths.length == 0 || depths.length != numHeads.length) {
                throw new IllegalArgumentException("depths " + Arrays.toString(depths) + " and num_heads "
                        + Arrays.toString(numHeads) + " must name the same stages");
            }
            depths = depths.clone();
            numHeads = numHeads.clone();
            if (imageSize % patchSize != 0) {
                throw new IllegalArgumentException("image " + imageSize + " is not a multiple of patch " + patchSize);
            }
            for (int i = 0; i < depths.length; i++) {
                int r = (imageSize / patchSize) >> i;
                if (i < depths.length - 1 && r % 2 != 0) {
                    throw new IllegalArgumentException("stage " + i + " resolution " + r + " cannot be merged 2 x 2");
                }
                if (r > windowSize && r % windowSize != 0) {
                    throw new IllegalArgumentException("stage " + i + " resolution " + r
                            + " is not a multiple of window " + windowSize);
                }
                int dim = embedDim << i;
                if (dim % numHeads[i] != 0) {
                    throw new IllegalArgumentException("stage " + i + " width " + dim + " is not a multiple of "
                            + numHeads[i] + " heads");
                }
            }
        }

        /** Swin-B at 384 x 384, window 12 (config_swinB_384.json): the encoder of tag2text_swin_14m.pth. */
        public static Config swinB384() {
            return new Config(384, 4, 128, new int[] {2, 2, 18, 2}, new int[] {4, 8, 16, 32}, 12);
        }

        @Override
        public int[] depths() {
            return depths.clone();
        }

        @Override
        public int[] numHeads() {
            return numHeads.clone();
        }

        // a record compares and prints arrays by identity; these compare and print the numbers

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && imageSize == c.imageSize && patchSize == c.patchSize
                    && embedDim == c.embedDim && windowSize == c.windowSize && Arrays.equals(depths, c.depths)
                    && Arrays.equals(numHeads, c.numHeads);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * Objects.hash(imageSize, patchSize, embedDim, windowSize)
                    + Arrays.hashCode(depths)) + Arrays.hashCode(numHeads);
        }

        @Override
        public String toString() {
            return "Config[imageSize=" + imageSize + ", patchSize=" + patchSize + ", embedDim=" + embedDim
                    + ", depths=" + Arrays.toString(depths) + ", numHeads=" + Arrays.toString(numHeads)
                    + ", windowSize=" + windowSize + "]";
        }

        public int stages() {
            return depths.length;
        }

        /** Channels of the last stage and of the output tokens (vision_width). */
        public int width() {
            return embedDim << (stages() - 1);
        }

        /** Side of stage {@code i}'s token grid. */
        public int resolution(int stage) {
            return (imageSize / patchSize) >> stage;
        }

        /** Output tokens per image: the mean token plus the last stage's grid. */
        public int tokens() {
            int r = resolution(stages() - 1);
            return 1 + r * r;
        }
    }

    private final Config config;
    private final PatchEmbed patchEmbed;
    private final ModuleList<Stage> layers;
    private final LayerNorm norm;

    public SwinTransformer(Config c) {
        this.config = c;
        patchEmbed = child("patch_embed", new PatchEmbed(c));
        layers = child("layers", new ModuleList<>());
        for (int i = 0; i < c.stages(); i++) {
            layers.add(new Stage(c, i));
        }
        norm = child("norm", new LayerNorm(c.width(), EPS, true));
    }

    /**
     * Loads the encoder from a Tag2Text checkpoint ({@code torch.save({'model': state_dict})},
     * keys {@code visual_encoder.*}), or from a state dict of the encoder alone.
     */
    public static SwinTransformer load(Path pth, Config config, NDManager manager) {
        try (TorchPickle pickle = TorchPickle.open(pth)) {
            return load(pickle, config, manager);
        }
    }

    /**
     * As {@link #load(Path, Config, NDManager)} from any source. Like VBench's
     * {@code load_state_dict(strict=False)} it ignores tensors the encoder has no use for (the
     * captioner, the stored relative_position_index and attn_mask buffers); unlike it, a missing
     * tensor or a wrong shape is an error naming the file and the tensor.
     */
    public static SwinTransformer load(WeightSource source, Config config, NDManager manager) {
        String prefix = encoderPrefix(source);
        SwinTransformer model = new SwinTransformer(config);
        for (var e : WeightLoader.declaredShapes(model).entrySet()) {
            String stored = prefix + e.getKey();
            if (e.getKey().endsWith(".relative_position_bias_table") && source.names().contains(stored)) {
                long rows = source.info(stored).shape()[0];
                long want = e.getValue().get(0);
                if (rows != want) {
                    // VBench's load_checkpoint_swinbase would resample the table to the new window; we do not
                    throw new CheckpointException(source.describe() + ": tensor " + stored + " has " + rows
                            + " rows, but window " + (int) ((Math.sqrt(want) + 1) / 2) + " needs " + want
                            + "; the checkpoint was trained with another window size, and interpolating its "
                            + "relative position bias is not supported");
                }
            }
        }
        SubtreeWeights.load(model, source, prefix, manager);
        return model;
    }

    /** Where the encoder's tensors start, whichever wrapper the file has ("" for a bare encoder). */
    private static String encoderPrefix(WeightSource source) {
        for (String prefix : new String[] {"model.visual_encoder.", "visual_encoder."}) {
            if (source.names().contains(prefix + "patch_embed.proj.weight")) {
                return prefix;
            }
        }
        return "";
    }

    public Config config() {
        return config;
    }

    /**
     * @param image normalised images (B, 3, imageSize, imageSize)
     * @return (B, 1 + L, width): the mean of the final tokens, then the L tokens of the last stage
     */
    public NDArray forward(NDArray image) {
        Shape s = image.getShape();
        if (s.dimension() != 4 || s.get(1) != 3 || s.get(2) != config.imageSize() || s.get(3) != config.imageSize()) {
            // the window masks are built for one resolution
            throw new IllegalArgumentException("Swin takes (B, 3, " + config.imageSize() + ", "
                    + config.imageSize() + ") images, got " + s);
        }
        NDArray x = patchEmbed.forward(image);
        for (Stage stage : layers.items()) {
            for (SwinBlock block : stage.blocks.items()) {
                NDArray in = x;
                x = Scopes.scoped(() -> block.forward(in));
                in.close(); // a block's input is dead once its output exists
            }
            if (stage.downsample != null) {
                NDArray in = x;
                x = Scopes.scoped(() -> stage.downsample.forward(in));
                in.close();
            }
        }
        NDArray tokens = norm.forward(x);
        return NDArrays.concat(new NDList(tokens.mean(new int[] {1}, true), tokens), 1);
    }

    /** Conv 4 x 4 stride 4 then LayerNorm, under patch_embed.proj and patch_embed.norm. */
    private static final class PatchEmbed extends Module {
        private final ConvPatch proj;
        private final LayerNorm norm;

        PatchEmbed(Config c) {
            proj = child("proj", new ConvPatch(c.patchSize(), c.embedDim(), true));
            norm = child("norm", new LayerNorm(c.embedDim(), EPS, true));
        }

        NDArray forward(NDArray image) {
            return norm.forward(proj.forward(image));
        }
    }

    /** BasicLayer: the stage's blocks, then PatchMerging except after the last stage. */
    static final class Stage extends Module {
        final ModuleList<SwinBlock> blocks;
        final PatchMerging downsample;

        Stage(Config c, int index) {
            int dim = c.embedDim() << index;
            int resolution = c.resolution(index);
            blocks = child("blocks", new ModuleList<>());
            for (int i = 0; i < c.depths[index]; i++) {
                blocks.add(new SwinBlock(dim, resolution, c.numHeads[index], c.windowSize(), i % 2 == 1));
            }
            downsample = index < c.stages() - 1 ? child("downsample", new PatchMerging(resolution, dim)) : null;
        }
    }
}

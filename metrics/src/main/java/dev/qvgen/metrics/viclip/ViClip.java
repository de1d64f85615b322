package dev.qvgen.metrics.viclip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.metrics.backbone.ClipModel;
import dev.qvgen.metrics.backbone.ClipTokenizer;
import dev.qvgen.layers.weights.TorchPickle;
import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.RenamedWeights;
import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.io.WeightSource;
import dev.qvgen.layers.nn.Embedding;
import dev.qvgen.layers.nn.LayerNorm;
import dev.qvgen.layers.nn.Module;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * InternVideo's ViCLIP as VBench ships it (vbench/third_party/ViCLIP/viclip.py), for inference:
 * a video tower ({@link ViClipVision}, a CLIP ViT with a temporal position embedding and joint
 * space-time attention) and OpenAI CLIP's text tower ({@code CLIP_TEXT}, context 32).
 * Parameter names are the keys of the published {@code ViClip-InternVid-10M-FLT.pth}
 * ({@code torch.save({"model": state_dict})}: {@code vision_encoder.*}, {@code text_encoder.*},
 * {@code temp}); the sizes are read off the tensor shapes (ViT-L/14: width 1024, 24 layers, 16
 * heads; text: width 768, 12 layers, 12 heads; embeddings 768).
 */
public final class ViClip extends Module {
    static final float EPS = 1e-5f;

    /** The tower sizes; heads are not in the weights (ViCLIP's builders use width / 64). */
    public record Config(int inputResolution, int patchSize, int visionWidth, int visionLayers, int visionHeads,
                         int numFrames, int embedDim, int textWidth, int textLayers, int textHeads,
                         int contextLength, int vocabSize) {
    }

    private final Config config;
    private final ViClipVision visionEncoder;
    private final TextEncoder textEncoder;

    public ViClip(Config c) {
        this.config = c;
        visionEncoder = child("vision_encoder", new ViClipVision(c));
        textEncoder = child("text_encoder", new TextEncoder(c));
        param("temp", new Shape()); // the contrastive temperature: training only, loaded for a strict key match
    }

    /**
     * Sizes from the checkpoint's shapes.
     *
     * @param visionHeads video-tower heads, or null for width / 64 (16 for ViT-L/14)
     * @param textHeads   text-tower heads, or null for width / 64 (12 for width 768)
     */
    public static Config inferConfig(WeightSource source, Integer visionHeads, Integer textHeads) {
        long[] conv = shape(source, "vision_encoder.conv1.weight");
        if (conv.length != 5 || conv[2] != 1 || conv[3] != conv[4]) {
            throw new CheckpointException(source.describe() + ": vision_encoder.conv1.weight has shape "
                    + java.util.Arrays.toString(conv) + ", expected (width, 3, 1, p, p): ViCLIP's kernel_size 1");
        }
        int width = (int) conv[0];
        int patch = (int) conv[3];
        int grid = (int) Math.round(Math.sqrt(shape(source, "vision_encoder.positional_embedding")[0] - 1));
        int frames = (int) shape(source, "vision_encoder.temporal_positional_embedding")[1];
        int embed = (int) shape(source, "vision_encoder.proj")[1];
        int textWidth = (int) shape(source, "text_encoder.ln_final.weight")[0];
        int context = (int) shape(source, "text_encoder.positional_embedding")[0];
        int vocab = (int) shape(source, "text_encoder.token_embedding.weight")[0];
        int textEmbed = (int) shape(source, "text_encoder.text_projection")[1];
        if (textEmbed != embed) {
            throw new CheckpointException(source.describe() + ": text embedding size " + textEmbed
                    + " differs from the video embedding size " + embed);
        }
        return new Config(grid * patch, patch, width, ClipModel.countLayers(source, "vision_encoder.transformer.resblocks."),
                visionHeads != null ? visionHeads : width / 64, frames, embed, textWidth,
                ClipModel.countLayers(source, "text_encoder.transformer.resblocks."),
                textHeads != null ? textHeads : textWidth / 64, context, vocab);
    }

    /** Loads the published checkpoint (or a plain state dict with the same keys). */
    public static ViClip load(Path file, Integer visionHeads, Integer textHeads, NDManager manager) {
        try (TorchPickle pickle = TorchPickle.open(file)) {
            WeightSource source = pickle.names().contains("model.vision_encoder.conv1.weight")
                    ? RenamedWeights.under(pickle, "model.") : pickle;
            ViClip model = new ViClip(inferConfig(source, visionHeads, textHeads));
            WeightLoader.load(model, source, manager, Set.of());
            return model;
        }
    }

    private static long[] shape(WeightSource source, String name) {
        if (!source.names().contains(name)) {
            throw new CheckpointException(source.describe() + ": no tensor " + name
                    + ", not a ViCLIP checkpoint (ViClip-InternVid-10M-FLT.pth)");
        }
        return source.info(name).shape();
    }

    public Config config() {
        return config;
    }

    /**
     * {@code encode_vision(x, test=True)}: (B, T, 3, R, R) normalised frames (T = numFrames or
     * 1), or (B, 3, R, R) images, to (B, embed), not normalised.
     */
    public NDArray encodeVision(NDArray frames) {
        return visionEncoder.forward(frames);
    }

    /** The text tower on (B, context) token ids (EOT = the highest id of each row): (B, embed), not normalised. */
    public NDArray encodeText(long[][] tokens, NDManager manager) {
        return textEncoder.forward(tokens, manager);
    }

    /**
     * {@code CLIP_TEXT.tokenize(text, context_length, truncate=True)}: start token, BPE ids, end
     * token, zero padding; a longer sequence is cut to the context with the end token last.
     */
    public static long[] tokenize(ClipTokenizer tokenizer, String text, int contextLength) {
        List<Integer> ids = tokenizer.encode(text);
        long[] out = new long[contextLength];
        out[0] = tokenizer.startOfText();
        int n = Math.min(ids.size(), contextLength - 1);
        for (int i = 0; i < n; i++) {
            out[i + 1] = ids.get(i);
        }
        out[Math.min(ids.size() + 1, contextLength - 1)] = tokenizer.endOfText();
        return out;
    }

    /** ViCLIP's {@code CLIP_TEXT}: CLIP's text tower under {@code text_encoder.}. */
    static final class TextEncoder extends Module {
        private final ClipModel.Transformer transformer;
        private final Embedding tokenEmbedding;
        private final Parameter positionalEmbedding;
        private final LayerNorm lnFinal;
        private final Parameter textProjection;

        TextEncoder(Config c) {
            transformer = child("transformer", new ClipModel.Transformer(c.textWidth(), c.textLayers(),
                    c.textHeads()));
            tokenEmbedding = child("token_embedding", new Embedding(c.vocabSize(), c.textWidth()));
            positionalEmbedding = param("positional_embedding", new Shape(c.contextLength(), c.textWidth()));
            lnFinal = child("ln_final", new LayerNorm(c.textWidth(), EPS, true));
            textProjection = param("text_projection", new Shape(c.textWidth(), c.embedDim()));
        }

        NDArray forward(long[][] tokens, NDManager manager) {
            return ClipModel.encodeTokens(tokens, tokenEmbedding, positionalEmbedding.getArray(), transformer,
                    lnFinal, textProjection.getArray(), manager);
        }
    }

}

package dev.qvgen.models.zoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.models.cogvideox.CogVideoXConfig;
import dev.qvgen.models.cogvideox.CogVideoXTransformer3DModel;
import dev.qvgen.models.nn.Module;
import dev.qvgen.models.nn.Precision;
import dev.qvgen.models.wan.WanConfig;
import dev.qvgen.models.wan.WanTransformer3DModel;

/**
 * One denoising step's transformer forward at a video size: the latent and text-state shapes
 * the pipelines feed it, random inputs of those shapes, and the forward's FLOPs counted
 * analytically (2 per multiply-add of every matrix product: linear layers, patch embedding as
 * the matmul it is, and attention's QK^T and PV; elementwise ops, norms and softmax not counted).
 *
 * <p>Both families' VAEs compress 8x in space and 4x in time ({@code (frames-1)/4+1} latent
 * frames); Wan's text states are UMT5's 512 tokens, CogVideoX's T5's 226 ({@code
 * max_text_seq_length}).
 */
public record TransformerWorkload(TransformerSpec spec, int batch, int frames, int height, int width) {
    public static final int VAE_SPATIAL = 8;
    public static final int VAE_TEMPORAL = 4;
    public static final int WAN_TEXT_TOKENS = 512;

    public TransformerWorkload {
        if (batch < 1 || frames < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("batch, frames, height and width must be positive");
        }
        if (height % (VAE_SPATIAL * 2) != 0 || width % (VAE_SPATIAL * 2) != 0 || (frames - 1) % VAE_TEMPORAL != 0) {
            throw new IllegalArgumentException("video " + width + "x" + height + "x" + frames
                    + ": height and width must be multiples of 16 and frames 4k+1");
        }
    }

    /** The named model's transformer at its published sampling size. */
    public static TransformerWorkload published(String model, int batch) {
        ModelSpec m = ModelRegistry.get(model);
        SamplingDefaults s = m.sampling();
        return new TransformerWorkload(m.transformer(), batch, s.frames(), s.height(), s.width());
    }

    public int latentFrames() {
        return (frames - 1) / VAE_TEMPORAL + 1;
    }

    public int latentHeight() {
        return height / VAE_SPATIAL;
    }

    public int latentWidth() {
        return width / VAE_SPATIAL;
    }

    public int inChannels() {
        return wan() != null ? wan().inChannels() : cog().inChannels();
    }

    public int textTokens() {
        return wan() != null ? WAN_TEXT_TOKENS : cog().maxTextSeqLength();
    }

    public int textDim() {
        return wan() != null ? wan().textDim() : cog().textEmbedDim();
    }

    private WanConfig wan() {
        return spec instanceof TransformerSpec.Wan w ? w.config() : null;
    }

    private CogVideoXConfig cog() {
        return spec instanceof TransformerSpec.CogVideoX c ? c.config() : null;
    }

    /** Video tokens after patching, per sample. */
    public long videoTokens() {
        if (wan() != null) {
            int[] p = wan().patchSize();
            return (long) (latentFrames() / p[0]) * (latentHeight() / p[1]) * (latentWidth() / p[2]);
        }
        CogVideoXConfig k = cog();
        int pt = k.hasTemporalPatch() ? k.patchSizeT() : 1;
        return (long) ((latentFrames() + pt - 1) / pt) * (latentHeight() / k.patchSize())
                * (latentWidth() / k.patchSize());
    }

    /** Latents (B, C, F, H, W) as the pipelines lay them out for this family. */
    public Shape latentShape() {
        return wan() != null
                ? new Shape(batch, inChannels(), latentFrames(), latentHeight(), latentWidth())
                // CogVideoX's transformer takes (B, F, C, H, W)
                : new Shape(batch, latentFrames(), inChannels(), latentHeight(), latentWidth());
    }

    /** Random latents, timesteps (500) and text states of {@code type}, seeded. */
    public NDList randomInputs(NDManager manager, DataType type, long seed) {
        manager.getEngine().setRandomSeed((int) seed);
        NDArray latents = Precision.to(manager.randomNormal(latentShape()), type);
        NDArray t = manager.full(new Shape(batch), 500f);
        NDArray text = Precision.to(manager.randomNormal(new Shape(batch, textTokens(), textDim())), type);
        return new NDList(latents, t, text);
    }

    /** Runs the transformer on {@link #randomInputs}' triple. */
    public static NDArray forward(Module transformer, NDList in) {
        if (transformer instanceof WanTransformer3DModel w) {
            return w.forward(in.get(0), in.get(1), in.get(2));
        }
        if (transformer instanceof CogVideoXTransformer3DModel c) {
            return c.forward(in.get(0), in.get(1), in.get(2));
        }
        throw new IllegalArgumentException("not a zoo transformer: " + transformer.getClass());
    }

    /** Forward FLOPs of the whole batch (see the class comment for what is counted). */
    public double flops() {
        double b = batch;
        double lv = videoTokens();
        double s = textTokens();
        return b * (wan() != null ? wanFlops(wan(), lv, s) : cogFlops(cog(), lv, s));
    }

    private static double wanFlops(WanConfig c, double l, double s) {
        double d = c.innerDim();
        double f = c.ffnDim();
        int[] p = c.patchSize();
        double patch = (double) c.inChannels() * p[0] * p[1] * p[2];
        double perBlock = 2 * l * d * d * 4          // self-attention q, k, v, out
                + 4 * l * l * d                       // self-attention QK^T and PV
                + 2 * l * d * d * 2 + 2 * s * d * d * 2 // cross-attention q, out (video) and k, v (text)
                + 4 * l * s * d                       // cross-attention QK^T and PV
                + 2 * l * d * f * 2;                  // feed-forward
        double embed = 2 * l * patch * d              // patch embedding
                + 2 * s * (c.textDim() * d + d * d)   // text embedder (two linears)
                + 2 * l * d * c.outChannels() * p[0] * p[1] * p[2]; // proj_out
        return c.numLayers() * perBlock + embed;
    }

    private static double cogFlops(CogVideoXConfig c, double lv, double s) {
        double d = c.innerDim();
        double n = lv + s; // joint text + video sequence
        int pt = c.hasTemporalPatch() ? c.patchSizeT() : 1;
        double patch = (double) c.inChannels() * c.patchSize() * c.patchSize() * pt;
        double perBlock = 2 * n * d * d * 4          // q, k, v, out
                + 4 * n * n * d                       // QK^T and PV
                + 2 * n * d * 4 * d * 2;              // feed-forward (4x)
        double embed = 2 * lv * patch * d + 2 * s * c.textEmbedDim() * d + 2 * lv * d * patch;
        return c.numLayers() * perBlock + embed;
    }
}

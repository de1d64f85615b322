package dev.qvgen.models.zoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.models.family.DenoisingTransformer;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.Precision;

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
        return spec.inChannels();
    }

    public int textTokens() {
        return spec.textTokens();
    }

    public int textDim() {
        return spec.textDim();
    }

    /** Video tokens after patching, per sample. */
    public long videoTokens() {
        return spec.videoTokens(latentFrames(), latentHeight(), latentWidth());
    }

    /** Latents as the pipelines lay them out for this family. */
    public Shape latentShape() {
        return spec.latentShape(batch, latentFrames(), latentHeight(), latentWidth());
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
        return DenoisingTransformer.of(transformer).forward(in.get(0), in.get(1), in.get(2));
    }

    /** Forward FLOPs of the whole batch (see the class comment for what is counted). */
    public double flops() {
        return batch * spec.flops(videoTokens(), textTokens());
    }
}

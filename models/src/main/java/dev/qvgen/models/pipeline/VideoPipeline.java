package dev.qvgen.models.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;


import dev.qvgen.layers.io.CheckpointException;

import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * A text-to-video pipeline as diffusers runs it: prompt encoding, the denoising loop with
 * classifier-free guidance, VAE decoding and post-processing to frames. One generation is one
 * prompt (batch 1), so every video is reproducible from its seed alone.
 */
public interface VideoPipeline extends AutoCloseable {

    /**
     * The settings of one generation.
     *
     * @param guidanceScale classifier-free guidance is on when above 1, as in diffusers
     * @param maxSequenceLength prompt tokens (padded or truncated to this length)
     */
    record Settings(int height, int width, int frames, int steps, double guidanceScale, int maxSequenceLength) {
        public Settings {
            if (height < 1 || width < 1 || frames < 1 || steps < 1 || maxSequenceLength < 1) {
                throw new IllegalArgumentException("height, width, frames, steps and max_sequence_length must be "
                        + "positive, got " + height + "x" + width + ", " + frames + " frames, " + steps + " steps, "
                        + maxSequenceLength + " tokens");
            }
        }
    }

    /** The {@code _class_name} of the pipeline ({@code model_index.json}). */
    String pipelineClass();

    /**
     * The pipeline's default {@code max_sequence_length}: 512 for Wan; for CogVideoX the
     * transformer's {@code max_text_seq_length} (226 as published), which 2B's joint positional
     * table requires.
     */
    int defaultMaxSequenceLength();

    /**
     * Runs the transformer in {@code type} (float32, float16 or bfloat16; its float32 modules
     * stay so) and the rest of the pipeline in float32, as a diffusers pipeline loaded with that
     * {@code torch_dtype} runs its denoiser.
     */
    void setTransformerPrecision(ai.djl.ndarray.types.DataType type);

    /** The shape of the initial noise of one video, in this family's latent layout. */
    Shape latentShape(Settings s);

    /** @throws IllegalArgumentException unless {@code latents} has {@link #latentShape(Settings)} */
    default void requireLatentShape(NDArray latents, Settings s) {
        Shape expected = latentShape(s);
        if (!latents.getShape().equals(expected)) {
            throw new IllegalArgumentException("latents must be " + expected + ", got " + latents.getShape());
        }
    }

    /**
     * Runs the whole generation: {@link #encodePrompts}, then {@link #generate(PromptEmbeddings,
     * NDArray, Settings, Noise)}. An offloaded text encoder ({@link #offloadTextEncoder}) has left
     * the device before the denoising loop starts.
     *
     * @param latents the initial noise, {@link #latentShape(Settings)}
     * @param noise noise for stochastic schedulers (CogVideoX DPM); deterministic ones ignore it
     * @return frames (F, H, W, 3) in [0, 1]
     */
    default NDArray generate(String prompt, String negativePrompt, NDArray latents, Settings s, Noise noise) {
        requireLatentShape(latents, s);
        try (PromptEmbeddings text = encodePrompts(prompt, negativePrompt, s, latents.getManager())) {
            return generate(text, latents, s, noise);
        }
    }

    /** The denoising loop and the decode, on prompt states from {@link #encodePrompts}. */
    default NDArray generate(PromptEmbeddings text, NDArray latents, Settings s, Noise noise) {
        NDArray x = denoise(text, latents, s, noise);
        try {
            return decode(x, s);
        } finally {
            if (x != latents) {
                x.close();
            }
        }
    }

    /**
     * A prompt's text-encoder states and, with classifier-free guidance, the negative prompt's
     * (null without), as {@link #encodePrompt} gives them; closing frees both.
     */
    record PromptEmbeddings(NDArray prompt, NDArray negative) implements AutoCloseable {
        @Override
        public void close() {
            prompt.close();
            if (negative != null) {
                negative.close();
            }
        }
    }

    /**
     * The prompt's states and, when {@code s} has guidance, the negative prompt's (empty when null),
     * in one encoding phase of the text encoder (one upload when it is offloaded).
     */
    default PromptEmbeddings encodePrompts(String prompt, String negativePrompt, Settings s, NDManager m) {
        try (TextEncoderPlacement.Phase phase = textEncoderOn(m.getDevice())) {
            NDArray text = encodePrompt(prompt, s.maxSequenceLength(), m);
            NDArray neg = s.guidanceScale() > 1.0
                    ? encodePrompt(negativePrompt == null ? "" : negativePrompt, s.maxSequenceLength(), m) : null;
            return new PromptEmbeddings(text, neg);
        }
    }

    /**
     * The denoising loop alone (diffusers' {@code output_type="latent"}): the final latents, in
     * {@code latents}' manager and in no scope. Every step runs in its own scope, so only the
     * latents and the scheduler's state outlive a step.
     */
    NDArray denoise(PromptEmbeddings text, NDArray latents, Settings s, Noise noise);

    /**
     * The VAE decode and post-processing of final latents: frames (F, H, W, 3) in [0, 1], in no
     * scope (the caller owns them, as {@link #generate} returns them).
     */
    NDArray decode(NDArray latents, Settings s);

    /** Called after each denoising step with its index, once the step's arrays are freed (null: none). */
    void setStepListener(java.util.function.IntConsumer listener);

    /**
     * The text encoder's compute type, as diffusers' {@code torch_dtype} sets it for the whole
     * pipeline: bfloat16 on CUDA (UMT5-XXL: 11.4 GB instead of 22.7); float32, the default, computes
     * on the weights as loaded.
     */
    default void setTextEncoderPrecision(ai.djl.ndarray.types.DataType type) {
        textEncoderPlacement().setPrecision(type);
    }

    /**
     * With {@code true}, the text encoder's device copy is freed after every encoding phase and made
     * again from the host copy for the next (a pipeline on an accelerator loads its text encoder on
     * the host); see {@link TextEncoderPlacement}.
     */
    default void offloadTextEncoder(boolean offload) {
        textEncoderPlacement().setOffload(offload);
    }

    /** An encoding phase on {@code device}: several {@link #encodePrompt} calls, one upload of the encoder. */
    default TextEncoderPlacement.Phase textEncoderOn(ai.djl.Device device) {
        return textEncoderPlacement().use(device);
    }

    /** Where the text encoder's weights live and in which type (host, device, per phase). */
    TextEncoderPlacement textEncoderPlacement();

    /** Frees what is not an NDArray (the tokenizer). Weights belong to the manager passed on loading. */
    @Override
    void close();

    /** Standard-normal noise for the initial latents and stochastic scheduler steps. */
    @FunctionalInterface
    interface Noise {
        NDArray next(NDManager manager, Shape shape);

        /**
         * Seeded standard-normal noise (Box-Muller on a {@link SplittableRandom}), independent of
         * the engine's global random state, so a (prompt, seed) pair always gives the same video.
         */
        static Noise seeded(long seed) {
            return from(new SplittableRandom(seed));
        }

        /** Standard-normal draws (Box-Muller) from {@code r}, which the caller may also draw other values from. */
        static Noise from(SplittableRandom r) {
            return (m, shape) -> {
                float[] v = new float[Math.toIntExact(shape.size())];
                for (int i = 0; i < v.length; i += 2) {
                    double u1 = 1.0 - r.nextDouble();
                    double u2 = r.nextDouble();
                    double rad = Math.sqrt(-2.0 * Math.log(u1));
                    v[i] = (float) (rad * Math.cos(2 * Math.PI * u2));
                    if (i + 1 < v.length) {
                        v[i + 1] = (float) (rad * Math.sin(2 * Math.PI * u2));
                    }
                }
                return m.create(v, shape);
            };
        }
    }

    /**
     * Loads the pipeline of a diffusers directory by its {@code model_index.json} class, through
     * the registered model family of that class.
     */
    static VideoPipeline fromPretrained(Path dir, NDManager manager) {
        return dev.qvgen.models.family.ModelFamilies.loadPipeline(dir, manager);
    }

    /** The denoiser, whose linears a quantizer swaps kernels into. */
    dev.qvgen.models.family.DenoisingTransformer transformer();

    /** {@code _class_name} of {@code dir/model_index.json}. */
    static String pipelineClassOf(Path dir) {
        return className(dir.resolve("model_index.json"));
    }

    /** {@code _class_name} of a diffusers JSON config. */
    static String className(Path json) {
        return dev.qvgen.layers.io.ConfigReader.className(json);
    }

    /** Frames (F, H, W, C) as Java arrays float[F][H][W][C], e.g. for {@code Mp4Writer}. */
    static float[][][][] toArrays(NDArray frames) {
        Shape s = frames.getShape();
        int f = (int) s.get(0);
        int h = (int) s.get(1);
        int w = (int) s.get(2);
        int c = (int) s.get(3);
        float[] flat = frames.toFloatArray();
        float[][][][] out = new float[f][h][w][c];
        int k = 0;
        for (int i = 0; i < f; i++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    System.arraycopy(flat, k, out[i][y][x], 0, c);
                    k += c;
                }
            }
        }
        return out;
    }

    /**
     * diffusers' {@code VideoProcessor.postprocess_video(..., output_type="np")} for one video:
     * (1, C, F, H, W) in [-1, 1] to (F, H, W, C) in [0, 1].
     */
    static NDArray toFrames(NDArray video) {
        NDArray v = dev.qvgen.layers.nn.Scalars.mul(video.get(0), 0.5f).add(0.5f).clip(0f, 1f);
        return v.transpose(1, 2, 3, 0);
    }

    /**
     * The prompt's text-encoder states (1, L, D) exactly as this pipeline conditions its
     * transformer on them (Wan: cleaned prompt, states past its length zeroed; CogVideoX: no mask).
     */
    NDArray encodePrompt(String prompt, int maxSequenceLength, NDManager manager);

    /**
     * The VAE posterior of a video (1, 3, F, H, W) in [-1, 1], in the latent space and layout the
     * transformer is trained on, as the official QVGen training scripts prepare it
     * (training/models/wan/lora.py and training/models/cogvideox/lora.py, prepare_latents): Wan
     * normalises per channel ({@code (z - latents_mean) / latents_std}), CogVideoX multiplies by
     * {@code scaling_factor} (not with {@code invert_scale_latents}) and permutes to (1, F', C, h, w).
     * A training sample is {@code mean + std * eps}; see {@link LatentPosterior}.
     */
    LatentPosterior encodeVideo(NDArray video);

    /**
     * A diagonal Gaussian over latents, both (1, ...) in the pipeline's latent layout. {@code std}
     * is what the official training samples with: for CogVideoX {@code exp(logvar / 2) * scaling};
     * for Wan {@code exp(n(logvar) / 2)} where n is the same per-channel normalisation as the mean
     * (the official Wan prepare_latents normalises the log-variance like the mean before sampling).
     * The log-variance is clamped to [-30, 20] as diffusers' DiagonalGaussianDistribution does (for
     * Wan after that normalisation, where the official code builds the distribution).
     */
    record LatentPosterior(NDArray mean, NDArray std) {}
}

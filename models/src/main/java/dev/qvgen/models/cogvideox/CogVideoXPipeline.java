package dev.qvgen.models.cogvideox;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.nn.Scalars;
import dev.qvgen.layers.nn.Scopes;
import dev.qvgen.models.pipeline.StepArrays;
import dev.qvgen.models.pipeline.TextEncoderPlacement;
import dev.qvgen.models.pipeline.TransformerPrecision;
import dev.qvgen.models.pipeline.VideoPipeline;
import dev.qvgen.models.sched.Scheduler;
import dev.qvgen.models.sched.Schedulers;
import dev.qvgen.models.text.T5EncoderModel;
import dev.qvgen.models.text.T5Tokenizer;
import dev.qvgen.models.vae.VaeOps;
import dev.qvgen.models.vae.cogvideox.AutoencoderKLCogVideoX;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * diffusers' {@code CogVideoXPipeline} (CogVideoX-2B, -5B, 1.5-5B text-to-video): T5 prompt
 * embeddings without an attention mask, (B, F, C, H, W) latents, one transformer pass over the
 * batch [negative, prompt] per step, the CogVideoX DDIM or DPM scheduler of
 * {@code scheduler/scheduler_config.json} (DPM with the previous x0 prediction passed back, as
 * the reference loop does), and {@code 1 / scaling_factor} before the VAE decode.
 *
 * <p>CogVideoX 1.5 patches time by {@code patch_size_t}: the latent frame count is padded up to a
 * multiple of it (the initial noise has the padded count) and the padding, which is the
 * <em>leading</em> frames ({@code latents[:, additional_frames:]}), is dropped before decoding.
 * The RoPE tables are built by the transformer from the padded latent size, as the pipeline's
 * {@code _prepare_rotary_positional_embeddings} does.
 */
public final class CogVideoXPipeline implements VideoPipeline {
    private final Path tokenizerDir;
    private final T5EncoderModel textEncoder;
    private final CogVideoXTransformer3DModel transformer;
    private final AutoencoderKLCogVideoX vae;
    private final Path schedulerConfig;
    private final Map<Integer, T5Tokenizer> tokenizers = new HashMap<>();
    private final TransformerPrecision precision = new TransformerPrecision();
    private final TextEncoderPlacement textEncoderPlacement;
    private java.util.function.IntConsumer stepListener;

    /** The schedulers CogVideoX checkpoints ship. */
    static final List<String> SCHEDULERS = List.of("CogVideoXDDIMScheduler", "CogVideoXDPMScheduler");

    public CogVideoXPipeline(Path tokenizerDir, T5EncoderModel textEncoder, CogVideoXTransformer3DModel transformer,
            AutoencoderKLCogVideoX vae, Path schedulerConfig) {
        this.tokenizerDir = tokenizerDir;
        this.textEncoder = textEncoder;
        this.textEncoderPlacement = new TextEncoderPlacement(textEncoder);
        this.transformer = transformer;
        this.vae = vae;
        this.schedulerConfig = schedulerConfig;
        String schedulerClass = VideoPipeline.className(schedulerConfig);
        if (!SCHEDULERS.contains(schedulerClass)) {
            throw new CheckpointException(schedulerConfig + ": scheduler " + schedulerClass
                    + " is not supported by CogVideoXPipeline (CogVideoXDDIMScheduler, CogVideoXDPMScheduler)");
        }
        if (transformer.config().ofsEmbedDim() > 0) {
            throw new CheckpointException("transformer config has ofs_embed_dim (an image-to-video model); "
                    + "CogVideoXPipeline is text-to-video");
        }
    }

    /**
     * Loads every component of a diffusers {@code CogVideoXPipeline} directory into {@code manager}
     * (the text encoder into a host sub-manager when {@code manager} is on an accelerator: {@link
     * TextEncoderPlacement#loadingManager}).
     */
    public static CogVideoXPipeline fromPretrained(Path dir, NDManager manager) {
        Path scheduler = dir.resolve("scheduler/scheduler_config.json");
        VideoPipeline.className(scheduler); // fail on a missing scheduler before loading gigabytes
        return new CogVideoXPipeline(dir.resolve("tokenizer"),
                T5EncoderModel.fromPretrained(dir.resolve("text_encoder"), TextEncoderPlacement.loadingManager(manager)),
                CogVideoXTransformer3DModel.fromPretrained(dir.resolve("transformer"), manager),
                AutoencoderKLCogVideoX.fromPretrained(dir.resolve("vae"), manager), scheduler);
    }

    @Override
    public String pipelineClass() {
        return "CogVideoXPipeline";
    }

    @Override
    public int defaultMaxSequenceLength() {
        return transformer.config().maxTextSeqLength();
    }

    @Override
    public void setTransformerPrecision(ai.djl.ndarray.types.DataType type) {
        precision.set(transformer, type);
    }

    public CogVideoXTransformer3DModel transformer() {
        return transformer;
    }

    @Override
    public TextEncoderPlacement textEncoderPlacement() {
        return textEncoderPlacement;
    }

    /** The text encoder (its weights move as {@link TextEncoderPlacement} says). */
    public T5EncoderModel textEncoder() {
        return textEncoder;
    }

    @Override
    public void setStepListener(java.util.function.IntConsumer listener) {
        stepListener = listener;
    }

    /** Latent frames added in front for CogVideoX 1.5 (0 otherwise). */
    public int additionalFrames(Settings s) {
        int latentFrames = (s.frames() - 1) / vae.config().temporalCompressionRatio() + 1;
        CogVideoXConfig c = transformer.config();
        if (!c.hasTemporalPatch() || latentFrames % c.patchSizeT() == 0) {
            return 0;
        }
        return c.patchSizeT() - latentFrames % c.patchSizeT();
    }

    @Override
    public Shape latentShape(Settings s) {
        int t = vae.config().temporalCompressionRatio();
        int sp = vae.config().spatialCompressionRatio();
        int p = transformer.config().patchSize();
        if ((s.frames() - 1) % t != 0) {
            throw new IllegalArgumentException("CogVideoX needs num_frames = 1 + " + t + "k, got " + s.frames());
        }
        if (s.height() % (sp * p) != 0 || s.width() % (sp * p) != 0) {
            throw new IllegalArgumentException("CogVideoX needs height and width multiples of " + (sp * p) + ", got "
                    + s.height() + "x" + s.width());
        }
        int latentFrames = (s.frames() - 1) / t + 1 + additionalFrames(s);
        return new Shape(1, latentFrames, transformer.config().inChannels(), s.height() / sp, s.width() / sp);
    }

    /** {@code _get_t5_prompt_embeds}: tokenized to {@code maxSequenceLength} and encoded without a mask. */
    @Override
    public NDArray encodePrompt(String prompt, int maxSequenceLength, NDManager m) {
        T5Tokenizer.Tokens tok = tokenizer(maxSequenceLength).encode(prompt);
        try (TextEncoderPlacement.Phase phase = textEncoderPlacement.use(m.getDevice())) {
            return Scopes.scoped(() -> textEncoder.forward(tok.inputIds(m), null));
        }
    }

    /**
     * The official training's {@code prepare_latents} (QVGen training/models/cogvideox/lora.py):
     * the posterior times {@code scaling_factor} unless {@code invert_scale_latents} (which the
     * official code leaves unscaled), permuted to (B, F, C, H, W).
     */
    @Override
    public LatentPosterior encodeVideo(NDArray video) {
        try (NDScope scope = new NDScope()) {
            NDArray moments = vae.encode(video);
            int c = vae.config().latentChannels();
            float scale = vae.config().invertScaleLatents() ? 1f : (float) vae.config().scalingFactor();
            NDArray mean = Scalars.mul(VaeOps.slice(moments, 1, 0, c), scale).transpose(0, 2, 1, 3, 4);
            NDArray logvar = VaeOps.slice(moments, 1, c, 2L * c).clip(-30f, 20f);
            NDArray std = Scalars.mul(Scalars.mul(logvar, 0.5f).exp(), scale).transpose(0, 2, 1, 3, 4);
            NDScope.unregister(mean, std);
            return new LatentPosterior(mean, std);
        }
    }

    private T5Tokenizer tokenizer(int maxSequenceLength) {
        return tokenizers.computeIfAbsent(maxSequenceLength, n -> T5Tokenizer.fromPretrained(tokenizerDir, n));
    }

    @Override
    public NDArray denoise(PromptEmbeddings prompts, NDArray latents, Settings s, Noise noise) {
        requireLatentShape(latents, s);
        NDManager m = latents.getManager();
        try (NDScope scope = new NDScope()) {
            boolean cfg = s.guidanceScale() > 1.0;
            NDArray text = prompts.prompt();
            if (cfg) {
                if (prompts.negative() == null) {
                    throw new IllegalArgumentException("guidance " + s.guidanceScale()
                            + " needs the negative prompt's states");
                }
                text = NDArrays.concat(new NDList(prompts.negative(), text), 0);
            }
            NDArray textIn = precision.in(text);
            Scheduler scheduler = Schedulers.forGeneration(schedulerConfig, SCHEDULERS, s.steps());
            float[] timesteps = scheduler.modelTimesteps();
            // init_noise_sigma is 1 for both schedulers, and scale_model_input is the identity.
            Scheduler.Noise stepNoise = like -> noise.next(like.getManager(), like.getShape());
            StepArrays kept = new StepArrays(latents);
            NDArray x = latents;
            for (int i = 0; i < timesteps.length; i++) {
                try (NDScope step = new NDScope()) {
                    float t = timesteps[i];
                    NDArray input = cfg ? NDArrays.concat(new NDList(x, x), 0) : x;
                    NDArray tt = m.create(new float[] {t}).repeat(input.getShape().get(0));
                    NDArray pred = precision.out(transformer.forward(precision.in(input), tt, textIn));
                    if (cfg) {
                        NDArray uncond = pred.get(new NDIndex("0:1"));
                        NDArray cond = pred.get(new NDIndex("1:2"));
                        pred = uncond.add(Scalars.mul(cond.sub(uncond), (float) s.guidanceScale()));
                    }
                    x = scheduler.step(pred, i, x, stepNoise);
                    kept.keep(x, scheduler.state());
                }
                if (stepListener != null) {
                    stepListener.accept(i);
                }
            }
            kept.closeAllBut(x);
            return x;
        }
    }

    @Override
    public NDArray decode(NDArray latents, Settings s) {
        int drop = additionalFrames(s);
        NDArray frames = Scopes.scoped(() -> {
            NDArray decodeIn = drop > 0 ? latents.get(new NDIndex(":, " + drop + ":")) : latents;
            NDArray video = vae.decodePipelineLatents(decodeIn);
            NDScope.register(video); // freed with this scope if the VAE handed it out of every scope
            return VideoPipeline.toFrames(video);
        });
        NDScope.unregister(frames); // the caller owns the frames, as it owned generate's
        return frames;
    }

    @Override
    public void close() {
        tokenizers.values().forEach(T5Tokenizer::close);
        tokenizers.clear();
        precision.close();
    }
}

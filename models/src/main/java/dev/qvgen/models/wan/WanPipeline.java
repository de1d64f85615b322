package dev.qvgen.models.wan;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
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
import dev.qvgen.models.vae.wan.AutoencoderKLWan;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * diffusers' {@code WanPipeline} (Wan2.1 text-to-video): UMT5 prompt embeddings with the padded
 * positions zeroed, (B, C, F, H, W) latents, the transformer run once with the prompt and once
 * with the negative prompt per step, the UniPC (or flow-matching Euler) scheduler of
 * {@code scheduler/scheduler_config.json}, and the VAE decode after undoing the per-channel
 * latent normalisation.
 */
public final class WanPipeline implements VideoPipeline {
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    private final Path tokenizerDir;
    private final T5EncoderModel textEncoder;
    private final WanTransformer3DModel transformer;
    private final AutoencoderKLWan vae;
    private final Path schedulerConfig;
    private final Map<Integer, T5Tokenizer> tokenizers = new HashMap<>();
    private final TransformerPrecision precision = new TransformerPrecision();
    private final TextEncoderPlacement textEncoderPlacement;
    private java.util.function.IntConsumer stepListener;

    /** The schedulers a Wan2.1 checkpoint ships or diffusers swaps in. */
    static final java.util.List<String> SCHEDULERS = java.util.List.of("UniPCMultistepScheduler",
            "FlowMatchEulerDiscreteScheduler");

    public WanPipeline(Path tokenizerDir, T5EncoderModel textEncoder, WanTransformer3DModel transformer,
            AutoencoderKLWan vae, Path schedulerConfig) {
        this.tokenizerDir = tokenizerDir;
        this.textEncoder = textEncoder;
        this.textEncoderPlacement = new TextEncoderPlacement(textEncoder);
        this.transformer = transformer;
        this.vae = vae;
        this.schedulerConfig = schedulerConfig;
        String schedulerClass = VideoPipeline.className(schedulerConfig);
        if (!SCHEDULERS.contains(schedulerClass)) {
            throw new CheckpointException(schedulerConfig + ": scheduler " + schedulerClass
                    + " is not supported by WanPipeline (UniPCMultistepScheduler, FlowMatchEulerDiscreteScheduler)");
        }
    }

    /**
     * Loads every component of a diffusers {@code WanPipeline} directory into {@code manager} (the
     * text encoder into a host sub-manager when {@code manager} is on an accelerator: {@link
     * TextEncoderPlacement#loadingManager}).
     */
    public static WanPipeline fromPretrained(Path dir, NDManager manager) {
        Path scheduler = dir.resolve("scheduler/scheduler_config.json");
        VideoPipeline.className(scheduler); // fail on a missing scheduler before loading gigabytes
        rejectWan22(dir.resolve("model_index.json"));
        return new WanPipeline(dir.resolve("tokenizer"),
                T5EncoderModel.fromPretrained(dir.resolve("text_encoder"), TextEncoderPlacement.loadingManager(manager)),
                WanTransformer3DModel.fromPretrained(dir.resolve("transformer"), manager),
                AutoencoderKLWan.fromPretrained(dir.resolve("vae"), manager), scheduler);
    }

    /** Wan2.2's two-expert denoising and per-token timesteps are other pipelines. */
    private static void rejectWan22(Path index) {
        try {
            com.google.gson.JsonObject o = com.google.gson.JsonParser.parseString(java.nio.file.Files.readString(index))
                    .getAsJsonObject();
            com.google.gson.JsonElement boundary = o.get("boundary_ratio");
            if (boundary != null && !boundary.isJsonNull()) {
                throw new CheckpointException(index + ": boundary_ratio is set (Wan2.2 two-expert pipeline), "
                        + "not supported");
            }
            com.google.gson.JsonElement expand = o.get("expand_timesteps");
            if (expand != null && expand.isJsonPrimitive() && expand.getAsBoolean()) {
                throw new CheckpointException(index + ": expand_timesteps is true (Wan2.2 TI2V), not supported");
            }
        } catch (java.io.IOException e) {
            throw new CheckpointException(index + ": cannot read (" + e.getMessage() + ")", e);
        } catch (IllegalStateException | com.google.gson.JsonParseException e) {
            throw new CheckpointException(index + ": not a JSON object");
        }
    }

    @Override
    public String pipelineClass() {
        return "WanPipeline";
    }

    @Override
    public int defaultMaxSequenceLength() {
        return 512;
    }

    @Override
    public void setTransformerPrecision(ai.djl.ndarray.types.DataType type) {
        precision.set(transformer, type);
    }

    public WanTransformer3DModel transformer() {
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

    @Override
    public Shape latentShape(Settings s) {
        int t = vae.config().scaleFactorTemporal();
        int sp = vae.config().scaleFactorSpatial();
        int[] p = transformer.config().patchSize();
        if ((s.frames() - 1) % t != 0) {
            throw new IllegalArgumentException("Wan needs num_frames = 1 + " + t + "k, got " + s.frames());
        }
        if (s.height() % (sp * p[1]) != 0 || s.width() % (sp * p[2]) != 0) {
            throw new IllegalArgumentException("Wan needs height and width multiples of " + (sp * p[1]) + ", got "
                    + s.height() + "x" + s.width());
        }
        return new Shape(1, transformer.config().inChannels(), (s.frames() - 1) / t + 1, s.height() / sp,
                s.width() / sp);
    }

    /**
     * {@code _get_t5_prompt_embeds}: the cleaned prompt tokenized to {@code maxSequenceLength},
     * encoded with the attention mask, and the states past the prompt's length set to zero.
     */
    @Override
    public NDArray encodePrompt(String prompt, int maxSequenceLength, NDManager m) {
        T5Tokenizer.Tokens tok = tokenizer(maxSequenceLength).encode(clean(prompt));
        try (TextEncoderPlacement.Phase phase = textEncoderPlacement.use(m.getDevice())) {
            return Scopes.scoped(() -> {
                NDArray mask = tok.attentionMask(m);
                NDArray hidden = textEncoder.forward(tok.inputIds(m), mask);
                return T5EncoderModel.zeroPadded(hidden, mask);
            });
        }
    }

    /**
     * The official training's {@code prepare_latents} (QVGen training/models/wan/lora.py): the VAE
     * moments, mean and log-variance both normalised per channel, the log-variance then clamped.
     */
    @Override
    public LatentPosterior encodeVideo(NDArray video) {
        try (NDScope scope = new NDScope()) {
            NDArray moments = vae.encode(video);
            int z = vae.config().zDim();
            NDArray mean = vae.normalizeLatents(VaeOps.slice(moments, 1, 0, z));
            NDArray logvar = vae.normalizeLatents(VaeOps.slice(moments, 1, z, 2L * z)).clip(-30f, 20f);
            NDArray std = Scalars.mul(logvar, 0.5f).exp();
            NDScope.unregister(mean, std);
            return new LatentPosterior(mean, std);
        }
    }

    /**
     * The pipeline's {@code prompt_clean}: HTML entities unescaped twice, whitespace runs
     * collapsed to one space, trimmed. ftfy's mojibake repair is not applied (it changes only
     * broken encodings, which VBench prompts do not contain).
     */
    public static String clean(String prompt) {
        String s = unescapeHtml(unescapeHtml(prompt)).strip();
        return WHITESPACE.matcher(s).replaceAll(" ").strip();
    }

    private static final Pattern ENTITY = Pattern.compile("&(#[0-9]+|#[xX][0-9a-fA-F]+|amp|lt|gt|quot|apos|nbsp);");

    /** The common HTML entities (named ones Python's html.unescape maps, and numeric ones). */
    static String unescapeHtml(String s) {
        return ENTITY.matcher(s).replaceAll(r -> {
            String e = r.group(1);
            String out;
            switch (e) {
                case "amp": out = "&"; break;
                case "lt": out = "<"; break;
                case "gt": out = ">"; break;
                case "quot": out = "\""; break;
                case "apos": out = "'"; break;
                case "nbsp": out = "\u00a0"; break;
                default:
                    int cp = e.startsWith("#x") || e.startsWith("#X") ? Integer.parseInt(e.substring(2), 16)
                            : Integer.parseInt(e.substring(1));
                    out = Character.isValidCodePoint(cp) && cp != 0 ? new String(Character.toChars(cp)) : "\ufffd";
            }
            return java.util.regex.Matcher.quoteReplacement(out);
        });
    }

    private T5Tokenizer tokenizer(int maxSequenceLength) {
        return tokenizers.computeIfAbsent(maxSequenceLength, n -> T5Tokenizer.fromPretrained(tokenizerDir, n));
    }

    @Override
    public NDArray denoise(PromptEmbeddings text, NDArray latents, Settings s, Noise noise) {
        requireLatentShape(latents, s);
        NDManager m = latents.getManager();
        try (NDScope scope = new NDScope()) {
            boolean cfg = s.guidanceScale() > 1.0;
            if (cfg && text.negative() == null) {
                throw new IllegalArgumentException("guidance " + s.guidanceScale() + " needs the negative prompt's states");
            }
            NDArray cond = precision.in(text.prompt());
            NDArray uncondText = cfg ? precision.in(text.negative()) : null;
            Scheduler scheduler = Schedulers.forGeneration(schedulerConfig, SCHEDULERS, s.steps());
            float[] timesteps = scheduler.modelTimesteps();
            Scheduler.Noise stepNoise = like -> noise.next(like.getManager(), like.getShape());
            StepArrays kept = new StepArrays(latents);
            NDArray x = latents;
            for (int i = 0; i < timesteps.length; i++) {
                try (NDScope step = new NDScope()) {
                    NDArray t = m.create(new float[] {timesteps[i]});
                    NDArray xin = precision.in(x);
                    NDArray pred = precision.out(transformer.forward(xin, t, cond));
                    if (cfg) {
                        // noise_uncond + guidance_scale * (noise_pred - noise_uncond)
                        NDArray uncond = precision.out(transformer.forward(xin, t, uncondText));
                        pred = uncond.add(Scalars.mul(pred.sub(uncond), (float) s.guidanceScale()));
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
        NDArray frames = Scopes.scoped(() -> {
            NDArray video = vae.decode(vae.denormalizeLatents(latents));
            NDScope.register(video); // the VAE hands its result out of every scope: freed with this one
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

package dev.qvgen.harness.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.harness.Djl;
import dev.qvgen.harness.Progress;
import dev.qvgen.harness.profile.Devices;
import dev.qvgen.harness.profile.MemoryLog;
import dev.qvgen.harness.run.Fingerprint;
import dev.qvgen.harness.run.OutputDir;
import dev.qvgen.harness.run.RunLock;
import dev.qvgen.harness.run.RunSettings;
import dev.qvgen.metrics.eval.VideoNames;
import dev.qvgen.video.Mp4Writer;
import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.models.pipeline.VideoPipeline;
import dev.qvgen.models.zoo.ModelRegistry;
import dev.qvgen.models.zoo.ModelSpec;
import dev.qvgen.models.zoo.RandomPipelines;
import dev.qvgen.models.zoo.SamplingDefaults;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Text-to-video generation for evaluation: one MP4 per prompt and seed, named as VBench expects
 * ({@code <prompt>-<index>.mp4}, index = position of the seed in {@code --seeds}). Existing videos
 * are skipped, so an interrupted run resumes; each video is written atomically.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate one MP4 per prompt and seed with a zoo model (VBench file naming; resumes).")
public final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", description = "registry model (${COMPLETION-CANDIDATES}); gives the sampling defaults",
            completionCandidates = ModelNames.class)
    String model;

    @Option(names = "--model-dir", description = "the model's diffusers checkpoint directory (checked to be complete "
            + "and of the model's pipeline class).")
    Path modelDir;

    @Option(names = "--pipeline-dir", description = "any diffusers text-to-video pipeline directory (WanPipeline, "
            + "CogVideoXPipeline), e.g. a shrunk one; without --model, sizes, steps and guidance must be given.")
    Path pipelineDir;

    @Option(names = "--prompts", required = true, description = "prompts: .txt one per line (VBench "
            + "prompts_per_dimension) or VBench_full_info.json (its prompt_en entries).")
    Path prompts;

    @Option(names = "--out", required = true, description = "output directory for the MP4s.")
    Path out;

    @Option(names = "--seeds", split = ",", defaultValue = "0", description = "seeds, comma-separated "
            + "(default: ${DEFAULT-VALUE}); video index i uses the i-th seed.")
    List<Long> seeds;

    @Option(names = "--steps", description = "denoising steps (default: the model's).")
    Integer steps;

    @Option(names = "--guidance", description = "classifier-free guidance scale (default: the model's; 1 turns it off).")
    Double guidance;

    @Option(names = "--height", description = "frame height (default: the model's).")
    Integer height;

    @Option(names = "--width", description = "frame width (default: the model's).")
    Integer width;

    @Option(names = "--frames", description = "frames per video (default: the model's).")
    Integer frames;

    @Option(names = "--fps", description = "frame rate of the MP4 (default: the model's, else 8).")
    Integer fps;

    @Option(names = "--negative-prompt", defaultValue = "", description = "negative prompt (default: empty, "
            + "as the diffusers pipelines).")
    String negativePrompt;

    @Option(names = "--max-sequence-length", description = "prompt tokens (default: the pipeline's, 512 Wan / 226 "
            + "CogVideoX).")
    Integer maxSequenceLength;

    @Option(names = "--random-weights", description = "full-size model with random weights, no checkpoint (for "
            + "profiling shapes, memory and speed; the videos are noise). Reads only tokenizer/ and "
            + "scheduler/ from --model-dir.")
    boolean randomWeights;

    @Option(names = "--weights-dtype", defaultValue = "fp32", description = "fp32, bf16 or fp16: how linear-layer "
            + "weights are held in memory (bf16 and fp16 halve memory; bf16 keeps a bf16 "
            + "checkpoint's own values as raw bytes, since DJL 0.36 has no bfloat16 type, and widens one layer at a "
            + "time).")
    String weightsDtype;

    @Option(names = "--threads", defaultValue = "0", description = "intra-op threads (0: the engine's default).")
    int threads;

    @Option(names = "--device", defaultValue = "cpu", converter = DeviceConverter.class, description = "cpu or "
            + "cuda:N: where the weights live and the pipeline runs (CUDA needs a libtorch with CUDA for DJL, see "
            + "docs/PERFORMANCE.md).")
    ai.djl.Device onDevice;

    @Option(names = "--precision", description = "fp32, fp16 or bf16: the compute type of the transformer and the "
            + "text encoder (diffusers' torch_dtype); scheduler and VAE stay float32 (default: bf16 on CUDA, as the "
            + "published pipelines run; fp32 on the CPU, where the same seed gives bit-identical videos). On CUDA the "
            + "text encoder rests on the host and is on the device only while the prompts are encoded.")
    String precision;

    @Option(names = "--time-only", description = "generate and time each video but write no MP4 (speed runs, e.g. "
            + "with --random-weights, whose videos are noise; needs no FFmpeg).")
    boolean timeOnly;

    @Option(names = "--memory-log", description = "print the device memory after loading, after the prompts are "
            + "encoded, after denoising and after decoding each video: what is held and the peak since the previous "
            + "line (on CUDA the allocator's unused blocks are freed at each line, so each peak starts from what is "
            + "live).")
    boolean memoryLog;

    @picocli.CommandLine.Mixin
    QuantizedOptions quantization;

    /** Prompts encoded per upload of an offloaded text encoder (their states are kept until their videos are made). */
    static final int PROMPTS_PER_ENCODING = 32;

    @Option(names = "--restart-changed", description = "when --out holds videos made with other settings (model, "
            + "weights, sampling, seeds), make the changed videos afresh and keep the rest; without it such a rerun "
            + "is refused.")
    boolean restartChanged;

    /** The output directory's record of its settings (see {@link RunSettings}). */
    static final String SETTINGS_FILE = "run-settings.json";

    @Override
    public Integer call() throws Exception {
        checkValues();
        ModelSpec spec = model == null ? null : spec(model);
        quantization.check();

        if (spec == null && !randomWeights) {
            List<String> missing = new ArrayList<>();
            pick(height, null, "--height", missing);
            pick(width, null, "--width", missing);
            pick(frames, null, "--frames", missing);
            pick(steps, null, "--steps", missing);
            if (guidance == null) {
                missing.add("--guidance");
            }
            if (!missing.isEmpty() && (modelDir != null || pipelineDir != null)) {
                throw new BadInputException("without --model, give " + String.join(", ", missing));
            }
        }
        WeightLoader.Storage storage = switch (weightsDtype.toLowerCase(Locale.ROOT)) {
            case "fp32" -> WeightLoader.Storage.FP32;
            case "fp16" -> WeightLoader.Storage.FP16;
            case "bf16" -> WeightLoader.Storage.BF16;
            default -> throw new BadInputException("--weights-dtype must be fp32, bf16 or fp16, got " + weightsDtype);
        };
        if (quantization.quantized != null || quantization.method != null) {
            if (storage != WeightLoader.Storage.FP32) {
                throw new BadInputException("--weights-dtype " + weightsDtype + ": the quantizers read float32 weights; "
                        + "use --weights-dtype fp32 with --quantized or --method");
            }
        }
        ai.djl.ndarray.types.DataType computeType;
        try {
            computeType = dev.qvgen.layers.nn.Precision.parse(precision != null ? precision
                    : onDevice.isGpu() ? "bf16" : "fp32");
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--precision: " + e.getMessage());
        }
        Path dir = checkedDirectory(spec);
        List<String> promptList = readPrompts(prompts);
        if (seeds.isEmpty()) {
            throw new BadInputException("--seeds: at least one seed is needed");
        }

        List<String> names = names(promptList);
        RunSettings settings = settings(spec, dir, promptList, names);
        OutputDir.create("--out", out);
        try (RunLock lock = RunLock.acquire(out, "generate", System.err)) {
            Runnable restart = restartChanged(settings);
            return generate(spec, dir, storage, computeType, promptList, names, () -> {
                restart.run();
                settings.write(out.resolve(SETTINGS_FILE));
            });
        }
    }

    /** Values that need no file: refused before anything is read or written. */
    private void checkValues() {
        for (var v : new Object[][] {{"--fps", fps}, {"--steps", steps}, {"--height", height}, {"--width", width},
                {"--frames", frames}, {"--max-sequence-length", maxSequenceLength}}) {
            if (v[1] != null && (Integer) v[1] < 1) {
                throw new BadInputException(v[0] + " must be at least 1, got " + v[1]);
            }
        }
        if (guidance != null && (!Double.isFinite(guidance) || guidance < 0)) {
            throw new BadInputException("--guidance must be a finite number >= 0, got " + guidance);
        }
        if (threads < 0) {
            throw new BadInputException("--threads must be 0 (the engine's default) or more, got " + threads);
        }
    }

    /** The video names in prompt-major order; two prompts may not share one (a cut long prompt). */
    private List<String> names(List<String> promptList) {
        java.util.Map<String, String> byName = new java.util.HashMap<>();
        List<String> names = new ArrayList<>();
        for (String p : promptList) {
            for (int i = 0; i < seeds.size(); i++) {
                String name = fileName(p, i);
                String other = byName.putIfAbsent(name, p);
                if (other != null && !other.equals(p)) {
                    throw new BadInputException(prompts + ": two prompts give the video name '" + name + "' (their "
                            + "first " + VideoNames.PROMPT_CHARS + " characters agree): '" + shorten(other) + "' and '"
                            + shorten(p) + "'");
                }
                names.add(name);
            }
        }
        return names;
    }

    private static String shorten(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    /**
     * What the videos depend on: the model and its weights, the sampling values as they resolve,
     * and per video its prompt and seed.
     */
    private RunSettings settings(ModelSpec spec, Path dir, List<String> promptList, List<String> names) {
        SamplingDefaults d = spec == null ? null : spec.sampling();
        java.util.Map<String, String> s = new java.util.LinkedHashMap<>();
        s.put("model", model == null ? "(pipeline directory)" : model);
        s.put("weights", randomWeights ? "random (seed " + ModelRegistry.DEFAULT_SEED + ")"
                : Fingerprint.ofDirectory(dir));
        s.put("steps", resolved(steps, d == null ? null : d.steps()));
        s.put("guidance", guidance != null ? guidance.toString() : d != null ? String.valueOf(d.guidanceScale())
                : "(unset)");
        s.put("height", resolved(height, d == null ? null : d.height()));
        s.put("width", resolved(width, d == null ? null : d.width()));
        s.put("frames", resolved(frames, d == null ? null : d.frames()));
        s.put("fps", resolved(fps, d == null ? 8 : d.fps()));
        s.put("negative-prompt", negativePrompt);
        s.put("max-sequence-length", maxSequenceLength == null ? "(pipeline's)" : maxSequenceLength.toString());
        s.put("weights-dtype", weightsDtype.toLowerCase(Locale.ROOT));
        s.put("precision", precision != null ? precision : onDevice.isGpu() ? "bf16" : "fp32");
        s.put("quantization", quantization.describe());
        java.util.Map<String, String> items = new java.util.LinkedHashMap<>();
        int k = 0;
        for (String p : promptList) {
            for (int i = 0; i < seeds.size(); i++) {
                items.put(names.get(k++), Fingerprint.of(p, String.valueOf(seeds.get(i))));
            }
        }
        return new RunSettings("generate", s, items, java.util.Map.of("qvgen", ReproduceCommand.QVGEN_VERSION));
    }

    private static String resolved(Integer given, Integer fallback) {
        return given != null ? given.toString() : fallback != null ? fallback.toString() : "(unset)";
    }

    /**
     * Refuses a rerun whose settings differ from those --out was made with; with
     * --restart-changed deletes the videos that depend on what changed (all of them when a
     * setting changed, else those whose prompt or seed did) and keeps the rest.
     */
    private Runnable restartChanged(RunSettings now) {
        java.util.Optional<RunSettings> recorded = RunSettings.read(out.resolve(SETTINGS_FILE));
        if (recorded.isEmpty()) {
            return () -> { };
        }
        RunSettings before = recorded.get();
        List<String> differences = new ArrayList<>(now.differences(before));
        java.util.Set<String> changed = new java.util.LinkedHashSet<>();
        before.items().forEach((name, fp) -> {
            if (now.items().containsKey(name) && !fp.equals(now.items().get(name))) {
                changed.add(name);
            }
        });
        long added = now.items().keySet().stream().filter(n -> !before.items().containsKey(n)).count();
        long dropped = before.items().keySet().stream().filter(n -> !now.items().containsKey(n)).count();
        if (!changed.isEmpty()) {
            differences.add(changed.size() + " videos with another seed");
        }
        if (added > 0 || dropped > 0) {
            differences.add("prompts or seeds: " + added + " videos added, " + dropped + " dropped");
        }
        if (differences.isEmpty()) {
            return () -> { };
        }
        if (!restartChanged) {
            throw new BadInputException(RunSettings.refusal(out, differences));
        }
        boolean all = !now.differences(before).isEmpty();
        // run once the pipeline has loaded and the sizes are accepted: a run that fails before
        // that leaves the directory as it was
        return () -> {
            int deleted = 0;
            for (String name : all ? before.items().keySet() : changed) {
                try {
                    deleted += Files.deleteIfExists(out.resolve(name)) ? 1 : 0;
                } catch (IOException e) {
                    throw new BadInputException(dev.qvgen.layers.io.IoErrors.describe(e, out.resolve(name)));
                }
            }
            System.out.println("generate: settings changed (" + String.join("; ", differences) + "): " + deleted
                    + " videos made afresh, the rest kept");
        };
    }

    private Integer generate(ModelSpec spec, Path dir, WeightLoader.Storage storage,
            ai.djl.ndarray.types.DataType computeType, List<String> promptList, List<String> names, Runnable commit)
            throws Exception {
        Djl.configure(threads);
        int total = promptList.size() * seeds.size();
        int existing = 0;
        for (String name : names) {
            if (Files.isRegularFile(out.resolve(name))) {
                existing++;
            }
        }
        System.out.printf("generate: %d prompts x %d seeds = %d videos, %d already in %s%n", promptList.size(),
                seeds.size(), total, existing, out);
        if (existing == total && !restartChanged) {
            commit.run(); // same settings (a differing rerun was refused): records them if not yet
            return 0;
        }
        try (NDManager manager = NDManager.newBaseManager(onDevice)) {
            MemoryLog mem = new MemoryLog(onDevice, System.out, memoryLog, "generate");
            long t0 = System.nanoTime();
            VideoPipeline pipeline;
            try (AutoCloseable s = WeightLoader.withStorage(storage)) {
                pipeline = randomWeights
                        ? RandomPipelines.build(model, dir.resolve("tokenizer"),
                                dir.resolve("scheduler/scheduler_config.json"), manager, ModelRegistry.DEFAULT_SEED)
                        : VideoPipeline.fromPretrained(dir, manager);
            }
            String quantizedAs = quantization.apply(pipeline.transformer(), manager);
            pipeline.setTransformerPrecision(computeType);
            // the text encoder in the same type as the transformer (diffusers' torch_dtype); on an accelerator
            // it rests on the host, where it was loaded, and is on the device only while prompts are encoded
            pipeline.setTextEncoderPrecision(computeType);
            pipeline.offloadTextEncoder(onDevice.isGpu());
            long deployed = quantization.applyRtn(pipeline.transformer(), computeType, manager);
            if (deployed >= 0) {
                quantizedAs += String.format(Locale.ROOT, " (transformer weights as deployed: %.3f GiB)",
                        deployed / (double) (1L << 30));
            }
            System.out.println("generate: transformer " + quantizedAs);
            System.out.printf(Locale.ROOT, "generate: %s loaded in %.1fs (%s weights%s; transformer and text encoder "
                    + "in %s%s)%n", pipeline.pipelineClass(), (System.nanoTime() - t0) / 1e9,
                    storage.name().toLowerCase(Locale.ROOT), randomWeights ? ", random" : "",
                    dev.qvgen.layers.nn.Precision.label(computeType),
                    onDevice.isGpu() ? "; text encoder on the host between prompt encodings" : "");
            mem.mark("loaded");
            try (pipeline) {
                VideoPipeline.Settings settings = settings(spec, pipeline);
                int rate = fps != null ? fps : spec != null ? spec.sampling().fps() : 8;
                Shape shape;
                try {
                    shape = pipeline.latentShape(settings);
                } catch (IllegalArgumentException e) {
                    throw new BadInputException(e.getMessage());
                }
                // every value accepted: now the directory may change
                commit.run();
                existing = 0;
                for (String name : names) {
                    existing += Files.isRegularFile(out.resolve(name)) ? 1 : 0;
                }
                Progress progress = new Progress("generate", total, System.out);
                progress.skip(existing);
                // the prompts with videos still to make, in order
                List<Integer> pending = new ArrayList<>();
                for (int p = 0; p < promptList.size(); p++) {
                    for (int i = 0; i < seeds.size(); i++) {
                        if (!Files.isRegularFile(out.resolve(names.get(p * seeds.size() + i)))) {
                            pending.add(p);
                            break;
                        }
                    }
                }
                for (int from = 0; from < pending.size(); from += PROMPTS_PER_ENCODING) {
                    List<Integer> batch = pending.subList(from, Math.min(pending.size(), from + PROMPTS_PER_ENCODING));
                    try (NDManager texts = manager.newSubManager()) {
                        // one encoding phase for the batch: an offloaded text encoder is uploaded once and freed
                        // before the first denoising step
                        long te0 = System.nanoTime();
                        java.util.Map<Integer, VideoPipeline.PromptEmbeddings> encoded = new java.util.HashMap<>();
                        double[] encodeSeconds = new double[promptList.size()];
                        try (var phase = pipeline.textEncoderOn(onDevice)) {
                            for (int p : batch) {
                                long e0 = System.nanoTime();
                                VideoPipeline.PromptEmbeddings e = pipeline.encodePrompts(promptList.get(p),
                                        negativePrompt, settings, texts);
                                Devices.sync(e.prompt());
                                encodeSeconds[p] = (System.nanoTime() - e0) / 1e9;
                                encoded.put(p, e);
                            }
                        }
                        System.out.printf(Locale.ROOT, "generate: %d prompts encoded in %.2f s (text encoder %s)%n",
                                batch.size(), (System.nanoTime() - te0) / 1e9, onDevice.isGpu()
                                        ? "moved to the device in " + dev.qvgen.layers.nn.Precision.label(computeType)
                                                + " for them, then freed there" : "on the host");
                        mem.mark("prompts encoded");
                        for (int p : batch) {
                            for (int i = 0; i < seeds.size(); i++) {
                                Path target = out.resolve(names.get(p * seeds.size() + i));
                                if (Files.isRegularFile(target)) {
                                    continue;
                                }
                                generateOne(pipeline, encoded.get(p), shape, settings, seeds.get(i), target, rate,
                                        encodeSeconds[p], manager, mem);
                                progress.step(target.getFileName().toString());
                            }
                        }
                    }
                }
            }
        }
        return 0;
    }

    /** One video from its prompt's states: denoise, decode, timed per stage; the MP4 unless --time-only. */
    private void generateOne(VideoPipeline pipeline, VideoPipeline.PromptEmbeddings text, Shape shape,
            VideoPipeline.Settings settings, long seed, Path target, int rate, double encodeSeconds, NDManager manager,
            MemoryLog mem) throws IOException {
        try (NDManager sub = manager.newSubManager()) {
            VideoPipeline.Noise noise = VideoPipeline.Noise.seeded(seed);
            NDArray latents = noise.next(sub, shape);
            long start = System.nanoTime();
            NDArray x = pipeline.denoise(text, latents, settings, noise);
            Devices.sync(x);
            double denoiseSeconds = (System.nanoTime() - start) / 1e9;
            mem.mark("denoised");
            long decodeStart = System.nanoTime(); // the memory line's reading is not timed
            NDArray video = pipeline.decode(x, settings);
            x.close();
            float[][][][] frames = VideoPipeline.toArrays(video); // on the host: the device's work is done
            video.close();
            double decodeSeconds = (System.nanoTime() - decodeStart) / 1e9;
            mem.mark("decoded");
            System.out.printf(Locale.ROOT, "generate: %s in %.2f s (text encoder %.2f s, %d steps %.2f s, VAE decode "
                    + "%.2f s; MP4 writing not counted)%n", target.getFileName(),
                    encodeSeconds + denoiseSeconds + decodeSeconds, encodeSeconds, settings.steps(), denoiseSeconds,
                    decodeSeconds);
            if (!timeOnly) {
                Mp4Writer.write(target, frames, rate);
            }
        }
    }

    private static ModelSpec spec(String name) {
        try {
            return ModelRegistry.get(name);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--model: " + e.getMessage());
        }
    }

    /** The checkpoint directory to read, checked before anything is loaded. */
    private Path checkedDirectory(ModelSpec spec) {
        if (modelDir != null && pipelineDir != null) {
            throw new BadInputException("give --model-dir or --pipeline-dir, not both");
        }
        if (randomWeights) {
            if (spec == null) {
                throw new BadInputException("--random-weights needs --model (the full-size model to build)");
            }
            Path d = modelDir != null ? modelDir : pipelineDir;
            if (d == null) {
                throw new BadInputException("--random-weights reads tokenizer/ and scheduler/ from --model-dir");
            }
            List<String> missing = new ArrayList<>();
            if (!Files.isRegularFile(d.resolve("tokenizer/tokenizer.json"))
                    && !Files.isRegularFile(d.resolve("tokenizer/spiece.model"))) {
                missing.add("tokenizer/tokenizer.json (or tokenizer/spiece.model)");
            }
            if (!Files.isRegularFile(d.resolve("scheduler/scheduler_config.json"))) {
                missing.add("scheduler/scheduler_config.json");
            }
            if (!missing.isEmpty()) {
                throw new BadInputException(d + ": missing " + String.join(", ", missing)
                        + " (needed with --random-weights)");
            }
            return d;
        }
        if (modelDir != null) {
            if (spec == null) {
                throw new BadInputException("--model-dir needs --model (or use --pipeline-dir)");
            }
            ModelRegistry.checkDirectory(model, modelDir);
            // a shrunk or other-size checkpoint under a registry name: the published frame size
            // would be a silent, huge default for it; its own size must be given (or --pipeline-dir)
            List<String> size = ModelRegistry.sizeDifferences(model, modelDir);
            if (!size.isEmpty() && (height == null || width == null || frames == null)) {
                throw new BadInputException(modelDir.resolve("transformer/config.json") + ": not " + model
                        + "'s published size (" + String.join(", ", size) + "); give --height, --width and --frames "
                        + "for it, or pass it as --pipeline-dir");
            }
            return modelDir;
        }
        if (pipelineDir != null) {
            ModelRegistry.checkDirectory(pipelineDir);
            return pipelineDir;
        }
        throw new BadInputException("give --model-dir (with --model), --pipeline-dir, or --random-weights");
    }

    private VideoPipeline.Settings settings(ModelSpec spec, VideoPipeline pipeline) {
        SamplingDefaults d = spec == null ? null : spec.sampling();
        List<String> missing = new ArrayList<>();
        int h = pick(height, d == null ? null : d.height(), "--height", missing);
        int w = pick(width, d == null ? null : d.width(), "--width", missing);
        int f = pick(frames, d == null ? null : d.frames(), "--frames", missing);
        int s = pick(steps, d == null ? null : d.steps(), "--steps", missing);
        double g = guidance != null ? guidance : d != null ? d.guidanceScale() : Double.NaN;
        if (Double.isNaN(g)) {
            missing.add("--guidance");
        }
        if (!missing.isEmpty()) {
            throw new BadInputException("without --model, give " + String.join(", ", missing));
        }
        int len = maxSequenceLength != null ? maxSequenceLength : pipeline.defaultMaxSequenceLength();
        try {
            return new VideoPipeline.Settings(h, w, f, s, g, len);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
    }

    private static int pick(Integer given, Integer fallback, String flag, List<String> missing) {
        if (given != null) {
            return given;
        }
        if (fallback == null) {
            missing.add(flag);
            return 0;
        }
        return fallback;
    }

    /**
     * VBench-2.0's file name for sample {@code index} of a prompt, {@code {prompt[:180]}-{i}.mp4},
     * made safe and short enough for the file system ({@link VideoNames}).
     */
    static String fileName(String prompt, int index) {
        return VideoNames.fileName(prompt, index);
    }

    /** Prompts in file order, duplicates dropped (VBench_full_info.json repeats none; a .txt may). */
    static List<String> readPrompts(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": prompts file not found");
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read (" + e.getMessage() + ")");
        }
        LinkedHashSet<String> out = new LinkedHashSet<>();
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json")) {
            try {
                JsonArray arr = JsonParser.parseString(text).getAsJsonArray();
                for (JsonElement e : arr) {
                    JsonObject o = e.getAsJsonObject();
                    JsonElement p = o.get("prompt_en");
                    if (p == null || !p.isJsonPrimitive()) {
                        throw new BadInputException(file + ": entry without a prompt_en string "
                                + "(expected VBench_full_info.json)");
                    }
                    out.add(p.getAsString().strip());
                }
            } catch (JsonParseException | IllegalStateException e) {
                throw new BadInputException(file + ": not a VBench_full_info.json (a JSON array of objects)");
            }
        } else {
            text.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(out::add);
        }
        out.remove("");
        if (out.isEmpty()) {
            throw new BadInputException(file + ": no prompts");
        }
        return new ArrayList<>(out);
    }

    /** Registry names for --help. */
    static final class ModelNames extends ArrayList<String> {
        ModelNames() {
            super(ModelRegistry.names());
        }
    }
}

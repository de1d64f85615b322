package dev.qvgen.models.zoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.qvgen.models.cogvideox.CogVideoXConfig;
import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.ConfigReader;
import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.models.wan.WanConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * The zoo's models by name: published sampling defaults, full-size transformer configs (so a
 * full-size transformer can be built with random weights and no checkpoint), and a check that a
 * checkpoint directory is complete in the diffusers layout.
 */
public final class ModelRegistry {
    /** The seed {@link #buildTransformer(String, NDManager, boolean)} initialises random weights with. */
    public static final long DEFAULT_SEED = 0x5EEDL;

    private static final int INIT_CHUNK = 1 << 22;

    private static final Map<String, ModelSpec> MODELS = new LinkedHashMap<>();

    static {
        // CogVideoX transformer configs: the values of the published transformer/config.json, which
        // scripts/convert_cogvideox_to_diffusers.py (diffusers) writes: get_transformer_init_kwargs
        // for version 1.0 / 1.5, num_layers and num_attention_heads 30/30 (2B) and 42/48 (5B), RoPE
        // for 5B, CogVideoXTransformer3DModel's defaults for the rest.
        CogVideoXConfig cog2b = cog("cogvideox-2b", 30, 30, false, "null", true, 60, 90, 49);
        CogVideoXConfig cog5b = cog("cogvideox-5b", 48, 42, true, "null", true, 60, 90, 49);
        CogVideoXConfig cog15 = cog("cogvideox1.5-5b", 48, 42, true, "2", false, 300, 300, 81);

        // CogVideoX 1.0 sampling: resolution and frames are CogVideoXPipeline.__call__'s defaults
        // (sample_height/width * vae_scale_factor_spatial 8 = 480 x 720, sample_frames = 49) and
        // the model card's "Video Resolution 720 x 480, Frame Rate 8 frames per second"; 50 steps,
        // guidance 6 and fps=8 from the pipeline's example docstring (pipeline_cogvideox.py) and the
        // diffusers CogVideoX docs. The scheduler is the one the checkpoints ship
        // (scheduler/scheduler_config.json: CogVideoXDDIMScheduler, v-prediction, zero-SNR), with
        // snr_shift_scale 3.0 for 2B and 1.0 for 5B (convert_cogvideox_to_diffusers.py).
        register(new ModelSpec("cogvideox-2b", "THUDM/CogVideoX-2b", "CogVideoXPipeline",
                new SamplingDefaults(720, 480, 49, 8, 50, "CogVideoXDDIMScheduler", 3.0, 6.0),
                new TransformerSpec.CogVideoX(cog2b)));
        register(new ModelSpec("cogvideox-5b", "THUDM/CogVideoX-5b", "CogVideoXPipeline",
                new SamplingDefaults(720, 480, 49, 8, 50, "CogVideoXDDIMScheduler", 1.0, 6.0),
                new TransformerSpec.CogVideoX(cog5b)));
        // CogVideoX 1.5: diffusers' CogVideoX docs: "T2V checkpoints work best with a resolution of
        // 1360x768", "work best with 81 and 161 frames. It is recommended to export the generated
        // video at 16fps"; the model card's table says the same (1360 x 768, 16 fps). Steps and
        // guidance are CogVideoXPipeline.__call__'s defaults (50, 6), as in the model card example.
        register(new ModelSpec("cogvideox1.5-5b", "THUDM/CogVideoX1.5-5B", "CogVideoXPipeline",
                new SamplingDefaults(1360, 768, 81, 16, 50, "CogVideoXDDIMScheduler", 1.0, 6.0),
                new TransformerSpec.CogVideoX(cog15)));

        // Wan2.1 transformer configs: scripts/convert_wan_to_diffusers.py ("Wan-T2V-1.3B" and
        // "Wan-T2V-14B" diffusers_config), with WanTransformer3DModel's default rope_max_seq_len 1024
        // and the image-to-video keys null, as in the published transformer/config.json.
        WanConfig wan13 = new WanConfig(new int[] {1, 2, 2}, 12, 128, 16, 16, 4096, 256, 8960, 30, true,
                "rms_norm_across_heads", 1e-6, 1024);
        WanConfig wan14 = new WanConfig(new int[] {1, 2, 2}, 40, 128, 16, 16, 4096, 256, 13824, 40, true,
                "rms_norm_across_heads", 1e-6, 1024);
        // Wan2.1 sampling: WanPipeline.__call__ defaults (height 480, width 832, num_frames 81,
        // num_inference_steps 50, guidance_scale 5.0) for the 480P 1.3B model; the pipeline's example
        // docstring (pipeline_wan.py) for 14B at 720P (height 720, width 1280, 81 frames, guidance
        // 5.0) and for both: export fps=16, UniPCMultistepScheduler with
        // "flow_shift = 5.0  # 5.0 for 720P, 3.0 for 480P".
        register(new ModelSpec("wan2.1-t2v-1.3b", "Wan-AI/Wan2.1-T2V-1.3B-Diffusers", "WanPipeline",
                new SamplingDefaults(832, 480, 81, 16, 50, "UniPCMultistepScheduler", 3.0, 5.0),
                new TransformerSpec.Wan(wan13)));
        register(new ModelSpec("wan2.1-t2v-14b", "Wan-AI/Wan2.1-T2V-14B-Diffusers", "WanPipeline",
                new SamplingDefaults(1280, 720, 81, 16, 50, "UniPCMultistepScheduler", 5.0, 5.0),
                new TransformerSpec.Wan(wan14)));

        // The embedded toy (checkpoints/toy-wan): Wan's transformer over 2x4x4 pixel patches of
        // 8-frame 32x32 clips with 3 coordinate planes beside the pixels (in_channels 6), sampled
        // with flow-match Euler (shift 3) and guidance 4 in 20 steps; the toy world renders at 8
        // frames per second.
        register(new ModelSpec(ModelSpec.TOY, null, "ToyWanPipeline",
                new SamplingDefaults(32, 32, 8, 8, 20, "FlowMatchEulerDiscreteScheduler", 3.0, 4.0),
                new TransformerSpec.Wan(dev.qvgen.models.toy.ToyVideoModel.defaultTransformerConfig(32))));
    }

    private ModelRegistry() {}

    private static CogVideoXConfig cog(String name, int heads, int layers, boolean rope, String patchT,
            boolean patchBias, int sampleH, int sampleW, int sampleFrames) {
        String json = """
                {
                  "_class_name": "CogVideoXTransformer3DModel",
                  "activation_fn": "gelu-approximate",
                  "attention_bias": true,
                  "attention_head_dim": 64,
                  "dropout": 0.0,
                  "flip_sin_to_cos": true,
                  "freq_shift": 0,
                  "in_channels": 16,
                  "max_text_seq_length": 226,
                  "norm_elementwise_affine": true,
                  "norm_eps": 1e-05,
                  "num_attention_heads": %d,
                  "num_layers": %d,
                  "ofs_embed_dim": null,
                  "out_channels": 16,
                  "patch_bias": %b,
                  "patch_size": 2,
                  "patch_size_t": %s,
                  "sample_frames": %d,
                  "sample_height": %d,
                  "sample_width": %d,
                  "spatial_interpolation_scale": 1.875,
                  "temporal_compression_ratio": 4,
                  "temporal_interpolation_scale": 1.0,
                  "text_embed_dim": 4096,
                  "time_embed_dim": 512,
                  "timestep_activation_fn": "silu",
                  "use_learned_positional_embeddings": false,
                  "use_rotary_positional_embeddings": %b
                }
                """.formatted(heads, layers, patchBias, patchT, sampleFrames, sampleH, sampleW, rope);
        return CogVideoXConfig.fromJson("registry:" + name + "/transformer/config.json", json);
    }

    private static void register(ModelSpec spec) {
        MODELS.put(spec.name(), spec);
    }

    /** Registry names in a fixed order. */
    public static List<String> names() {
        return List.copyOf(MODELS.keySet());
    }

    public static ModelSpec get(String name) {
        ModelSpec s = MODELS.get(name);
        if (s == null) {
            throw new IllegalArgumentException("unknown model '" + name + "' (known: "
                    + String.join(", ", MODELS.keySet()) + ")");
        }
        return s;
    }

    /**
     * The full-size transformer of a registered model from its embedded config.
     *
     * @param randomWeights true: every parameter gets deterministic random values ({@link
     *     #DEFAULT_SEED}); false: parameters are declared but unassigned, for a checkpoint loader
     */
    public static Module buildTransformer(String name, NDManager manager, boolean randomWeights) {
        return buildTransformer(get(name).transformer(), manager, randomWeights, DEFAULT_SEED);
    }

    /** As {@link #buildTransformer(String, NDManager, boolean)} for any config (e.g. a shrunk one). */
    public static Module buildTransformer(TransformerSpec spec, NDManager manager, boolean randomWeights,
            long seed) {
        Module m = spec.build();
        if (randomWeights) {
            randomInit(m, manager, seed);
        }
        return m;
    }

    /**
     * Deterministic random weights in torch's default scheme: linear (and patch-conv) weights and
     * linear biases uniform in ±1/sqrt(fan_in), norm scales 1 and norm shifts 0, Wan's
     * scale-shift tables N(0, 1/dim). Each tensor's stream is seeded from the seed and the
     * parameter's name, so values do not depend on construction order, and the tensors are filled
     * in parallel (largest first): a full-size Wan pipeline's 7.2 B values took about 75 s on one
     * thread, most of a short device call.
     */
    public static void randomInit(Module root, NDManager manager, long seed) {
        randomInit(root, manager, seed, Runtime.getRuntime().availableProcessors());
    }

    /** {@link #randomInit(Module, NDManager, long)} on at most {@code maxThreads} threads (the values do not depend on it). */
    static void randomInit(Module root, NDManager manager, long seed, int maxThreads) {
        Map<String, Shape> shapes = WeightLoader.declaredShapes(root);
        Map<String, Integer> linearFanIn = new LinkedHashMap<>();
        java.util.Set<String> half = WeightLoader.halfStored(root);
        root.namedModules().forEach((path, mod) -> {
            if (mod instanceof Linear l) {
                String prefix = path.isEmpty() ? "" : path + ".";
                linearFanIn.put(prefix + "weight", l.inFeatures());
                linearFanIn.put(prefix + "bias", l.inFeatures());
            }
        });
        // the storage is per thread: read here, on the caller's
        boolean bf16Storage = WeightLoader.storage() == WeightLoader.Storage.BF16;
        java.util.List<Map.Entry<String, Parameter>> entries = new java.util.ArrayList<>(root.namedParameters().entrySet());
        entries.sort(java.util.Comparator.comparingLong((Map.Entry<String, Parameter> e) -> -shapes.get(e.getKey()).size()));
        long total = entries.stream().mapToLong(e -> shapes.get(e.getKey()).size()).sum();
        int threads = total < (1L << 24) ? 1 : Math.min(entries.size(), maxThreads);
        if (threads <= 1) {
            for (Map.Entry<String, Parameter> e : entries) {
                fill(e.getKey(), e.getValue(), shapes.get(e.getKey()), linearFanIn, half, bf16Storage, manager, seed);
            }
            SCRATCH.remove();
            return;
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "random-init");
            t.setDaemon(true);
            return t;
        });
        try {
            java.util.List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (Map.Entry<String, Parameter> e : entries) {
                done.add(pool.submit(() -> fill(e.getKey(), e.getValue(), shapes.get(e.getKey()), linearFanIn, half,
                        bf16Storage, manager, seed)));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("random initialisation interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof RuntimeException r ? r : new IllegalStateException(c);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A filling thread's chunk of values and the direct buffer they reach the engine through, made
     * once per thread: DJL would otherwise allocate (and copy into) a fresh direct buffer for every
     * chunk of a Java array, and a full-size pipeline's chunks run into the JVM's direct-memory limit.
     */
    private record Scratch(float[] values, java.nio.ByteBuffer direct) {}

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(() -> new Scratch(
            new float[INIT_CHUNK], java.nio.ByteBuffer.allocateDirect(4 * INIT_CHUNK).order(java.nio.ByteOrder.nativeOrder())));

    /** One tensor of {@link #randomInit}, from its own seeded stream. */
    private static void fill(String name, Parameter param, Shape shape, Map<String, Integer> linearFanIn,
            java.util.Set<String> half, boolean bf16Storage, NDManager manager, long seed) {
        long n = shape.size();
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + name.hashCode());
        String leaf = name.substring(name.lastIndexOf('.') + 1);
        Integer fanIn = linearFanIn.get(name);
        if (fanIn == null && shape.dimension() >= 2 && leaf.equals("weight")) {
            fanIn = (int) (n / shape.get(0));
        }
        // Filled in chunks into engine memory (as WeightLoader does): a full-size model's
        // largest tensors (UMT5's 1e9-entry embedding) exceed one Java array or direct buffer.
        boolean bf16 = half.contains(name) && bf16Storage;
        DataType type = half.contains(name) ? DataType.FLOAT16 : DataType.FLOAT32;
        NDArray flat = bf16 ? manager.create(new Shape(2 * n), DataType.UINT8) : manager.create(new Shape(n), type);
        Scratch scratch = SCRATCH.get();
        float[] v = scratch.values;
        for (long start = 0; start < n; start += INIT_CHUNK) {
            int len = (int) Math.min(INIT_CHUNK, n - start);
            if (leaf.equals("scale_shift_table")) {
                float std = (float) (1.0 / Math.sqrt(shape.get(shape.dimension() - 1)));
                for (int i = 0; i < len; i++) {
                    v[i] = (float) gaussian(rnd) * std;
                }
            } else if (fanIn != null) {
                double bound = 1.0 / Math.sqrt(fanIn);
                for (int i = 0; i < len; i++) {
                    v[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
                }
            } else {
                // norm scales 1; other 1-D tensors (norm and conv biases) 0
                java.util.Arrays.fill(v, 0, len, leaf.equals("weight") ? 1f : 0f);
            }
            if (bf16) {
                byte[] raw = dev.qvgen.layers.nn.Bfloat16.bytes(java.util.Arrays.copyOf(v, len));
                try (NDArray chunk = manager.create(java.nio.ByteBuffer.wrap(raw), new Shape(raw.length),
                        DataType.UINT8)) {
                    flat.set(new ai.djl.ndarray.index.NDIndex(2 * start + ":" + (2 * start + raw.length)), chunk);
                }
                continue;
            }
            java.nio.ByteBuffer buffer = scratch.direct;
            buffer.clear();
            buffer.asFloatBuffer().put(v, 0, len);
            buffer.limit(4 * len);
            // the chunk may borrow the buffer (on the CPU): it is copied into flat before the next refill
            try (NDArray chunk = manager.create(buffer, new Shape(len), DataType.FLOAT32);
                    NDArray typed = chunk.toType(type, false)) {
                flat.set(new ai.djl.ndarray.index.NDIndex(start + ":" + (start + len)), typed);
            }
        }
        NDArray a = bf16 ? flat : flat.reshape(shape);
        if (!bf16) {
            flat.close();
        }
        param.setArray(a);
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = 1.0 - r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** Number of scalars in a module's declared parameters (works without weights). */
    public static long parameterCount(Module m) {
        return WeightLoader.declaredShapes(m).values().stream().mapToLong(Shape::size).sum();
    }

    /**
     * Verifies that {@code dir} is a complete diffusers checkpoint as published: model_index.json,
     * transformer (config and weights: a single file, or an index and every shard it names),
     * text_encoder (likewise), vae (likewise), tokenizer and scheduler configs.
     *
     * @throws CheckpointException naming the directory and everything missing
     */
    public static void checkDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException(dir + ": checkpoint directory not found");
        }
        List<String> missing = new ArrayList<>();
        require(dir, "model_index.json", missing);
        require(dir, "transformer/config.json", missing);
        requireWeights(dir, "transformer", "diffusion_pytorch_model", missing);
        require(dir, "text_encoder/config.json", missing);
        requireWeights(dir, "text_encoder", "model", missing);
        require(dir, "vae/config.json", missing);
        requireWeights(dir, "vae", "diffusion_pytorch_model", missing);
        require(dir, "tokenizer/tokenizer_config.json", missing);
        if (Files.isDirectory(dir.resolve("tokenizer")) && !Files.exists(dir.resolve("tokenizer/tokenizer.json"))
                && !Files.exists(dir.resolve("tokenizer/spiece.model"))) {
            missing.add("tokenizer/tokenizer.json (or spiece.model)");
        }
        require(dir, "scheduler/scheduler_config.json", missing);
        if (!missing.isEmpty()) {
            throw new CheckpointException(dir + ": incomplete checkpoint, missing " + String.join(", ", missing));
        }
    }

    /**
     * {@link #checkDirectory(Path)}, and that the checkpoint is of the named model's pipeline and
     * transformer class.
     */
    public static void checkDirectory(String name, Path dir) {
        ModelSpec spec = get(name);
        checkDirectory(dir);
        String pipeline = ConfigReader.className(dir.resolve("model_index.json"));
        if (!spec.pipelineClass().equals(pipeline)) {
            throw new CheckpointException(dir.resolve("model_index.json") + ": pipeline " + pipeline + ", but "
                    + name + " is a " + spec.pipelineClass());
        }
        String transformer = ConfigReader.className(dir.resolve("transformer/config.json"));
        if (!spec.transformer().className().equals(transformer)) {
            throw new CheckpointException(dir.resolve("transformer/config.json") + ": class " + transformer
                    + ", but " + name + " has a " + spec.transformer().className());
        }
    }

    /** The transformer config keys that fix a model's size (layers, widths, patching, sample size). */
    private static final List<String> SIZE_KEYS = List.of("num_layers", "num_attention_heads", "attention_head_dim",
            "ffn_dim", "in_channels", "out_channels", "text_dim", "patch_size", "patch_size_t", "sample_height",
            "sample_width", "sample_frames");

    /**
     * How the checkpoint's transformer differs in size from the named model's published one, as
     * {@code key value (published value)}; empty when it is the published size. Keys that either
     * config lacks are not compared.
     */
    public static List<String> sizeDifferences(String name, Path dir) {
        Path file = dir.resolve("transformer/config.json");
        JsonObject have;
        try {
            have = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        } catch (java.io.IOException | RuntimeException e) {
            throw new CheckpointException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        JsonObject published = JsonParser.parseString(get(name).transformer().toJson()).getAsJsonObject();
        List<String> out = new ArrayList<>();
        for (String k : SIZE_KEYS) {
            if (have.has(k) && published.has(k) && !have.get(k).equals(published.get(k))) {
                out.add(k + " " + have.get(k) + " (published " + published.get(k) + ")");
            }
        }
        return out;
    }

    private static void require(Path dir, String rel, List<String> missing) {
        if (!Files.isRegularFile(dir.resolve(rel))) {
            missing.add(rel);
        }
    }

    private static void requireWeights(Path dir, String component, String base, List<String> missing) {
        Path single = dir.resolve(component).resolve(base + ".safetensors");
        Path index = dir.resolve(component).resolve(base + ".safetensors.index.json");
        if (Files.isRegularFile(single)) {
            return;
        }
        if (!Files.isRegularFile(index)) {
            missing.add(component + "/" + base + ".safetensors (or " + base + ".safetensors.index.json)");
            return;
        }
        TreeSet<String> shards = new TreeSet<>();
        try {
            JsonObject map = JsonParser.parseString(Files.readString(index)).getAsJsonObject()
                    .getAsJsonObject("weight_map");
            if (map == null) {
                throw new CheckpointException(index + ": no weight_map");
            }
            for (Map.Entry<String, JsonElement> e : map.entrySet()) {
                shards.add(e.getValue().getAsString());
            }
        } catch (IOException e) {
            throw new CheckpointException(index + ": cannot read (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            if (e instanceof CheckpointException ce) {
                throw ce;
            }
            throw new CheckpointException(index + ": not a safetensors index (" + e.getMessage() + ")");
        }
        if (shards.isEmpty()) {
            throw new CheckpointException(index + ": weight_map names no shard");
        }
        for (String shard : shards) {
            if (!Files.isRegularFile(index.resolveSibling(shard))) {
                missing.add(component + "/" + shard);
            }
        }
    }

    /** The published models (every registered one but the toy), in registry order. */
    public static List<ModelSpec> published() {
        return MODELS.values().stream().filter(ModelSpec::published).toList();
    }

    /** All registered specs, in registry order. */
    public static List<ModelSpec> all() {
        return Collections.unmodifiableList(new ArrayList<>(MODELS.values()));
    }
}

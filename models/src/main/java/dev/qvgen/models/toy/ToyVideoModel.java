package dev.qvgen.models.toy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsWriter;
import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.io.WeightSource;
import dev.qvgen.layers.io.WeightSources;
import dev.qvgen.models.wan.WanConfig;
import dev.qvgen.models.wan.WanTransformer3DModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The toy text-to-video model: {@link ToyTextEncoder} + a tiny {@link WanTransformer3DModel}
 * working in pixel space (3 channels, values in [-1, 1]). Stored in the diffusers layout
 * ({@code transformer/}, {@code text_encoder/}) so the same loader reads it as a real checkpoint.
 */
public final class ToyVideoModel {
    private final ToyTextEncoder textEncoder;
    private final WanTransformer3DModel transformer;

    public ToyVideoModel(ToyTextEncoder textEncoder, WanTransformer3DModel transformer) {
        this.textEncoder = textEncoder;
        this.transformer = transformer;
    }

    public ToyTextEncoder textEncoder() {
        return textEncoder;
    }

    public WanTransformer3DModel transformer() {
        return transformer;
    }

    /** The published toy configuration: 4 blocks of width 64 on (2,4,4) pixel patches. */
    public static WanConfig defaultTransformerConfig(int textDim) {
        return transformerConfig(textDim, 4, 4);
    }

    /** A toy transformer of {@code heads} heads of 16 channels and {@code layers} blocks, FFN 3x width. */
    public static WanConfig transformerConfig(int textDim, int heads, int layers) {
        return transformerConfig(textDim, heads, layers, new int[] {2, 4, 4});
    }

    /** As {@link #transformerConfig(int, int, int)} with the given (t, h, w) pixel patch. */
    public static WanConfig transformerConfig(int textDim, int heads, int layers, int[] patch) {
        return transformerConfig(textDim, heads, 16, layers, patch);
    }

    /**
     * A toy transformer of {@code heads} heads of {@code headDim} channels (width = heads x headDim),
     * {@code layers} blocks, FFN 3x width, on (t, h, w) pixel patches.
     */
    public static WanConfig transformerConfig(int textDim, int heads, int headDim, int layers, int[] patch) {
        return new WanConfig(patch.clone(), heads, headDim, 3, 3, textDim, 64, 3 * heads * headDim, layers, true,
                "rms_norm_across_heads", 1e-6, 32);
    }

    /** Random initialisation (seeded) for training from scratch. */
    public static ToyVideoModel random(ToyTextEncoderConfig tc, WanConfig wc, NDManager manager, long seed) {
        ToyVideoModel m = new ToyVideoModel(new ToyTextEncoder(tc), new WanTransformer3DModel(wc));
        Random rng = new Random(seed);
        initialise(m.textEncoder.namedParameters(), WeightLoader.declaredShapes(m.textEncoder), manager, rng);
        initialise(m.transformer.namedParameters(), WeightLoader.declaredShapes(m.transformer), manager, rng);
        return m;
    }

    private static void initialise(Map<String, Parameter> params, Map<String, ai.djl.ndarray.types.Shape> shapes,
            NDManager manager, Random rng) {
        for (var e : params.entrySet()) {
            String name = e.getKey();
            long[] shape = shapes.get(name).getShape();
            int n = (int) shapes.get(name).size();
            float[] v = new float[n];
            if (name.endsWith("norm.weight") || name.matches(".*norm[0-9_a-z]*\\.weight")) {
                java.util.Arrays.fill(v, 1f);
            } else if (name.endsWith(".bias")) {
                // zeros
            } else if (name.endsWith("scale_shift_table")) {
                double s = 1.0 / Math.sqrt(shape[shape.length - 1]);
                for (int i = 0; i < n; i++) {
                    v[i] = (float) (rng.nextGaussian() * s);
                }
            } else {
                long fanIn = n / shape[0];
                double s = 1.0 / Math.sqrt(Math.max(1, fanIn));
                if (name.contains("embedding")) {
                    s = 0.02 * 10;
                }
                // Zero-init the residual outputs so every block starts as the identity (DiT's adaLN-zero idea).
                boolean zero = name.endsWith("to_out.0.weight") || name.endsWith("ffn.net.2.weight")
                        || name.equals("proj_out.weight");
                for (int i = 0; i < n && !zero; i++) {
                    v[i] = (float) (rng.nextGaussian() * s);
                }
            }
            e.getValue().setArray(dev.qvgen.layers.nn.EngineOwned.adopt(manager.create(v, shapes.get(name))));
        }
    }

    public static ToyVideoModel load(Path dir, NDManager manager) {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException(dir + ": checkpoint directory not found");
        }
        WanTransformer3DModel tr = WanTransformer3DModel.fromPretrained(dir.resolve("transformer"), manager);
        Path teDir = dir.resolve("text_encoder");
        ToyTextEncoder te = new ToyTextEncoder(ToyTextEncoderConfig.read(teDir.resolve("config.json")));
        try (WeightSource src = WeightSources.open(teDir, "model")) {
            WeightLoader.load(te, src, manager, Set.of());
        }
        return new ToyVideoModel(te, tr);
    }

    /** Writes the checkpoint directory atomically: a temp sibling, then one rename. */
    public void save(Path dir, Map<String, String> metadata) throws IOException {
        Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
        dev.qvgen.layers.io.FileTrees.delete(tmp);
        Files.createDirectories(tmp.resolve("transformer"));
        Files.createDirectories(tmp.resolve("text_encoder"));
        Files.writeString(tmp.resolve("transformer/config.json"), transformer.config().toJson());
        Files.writeString(tmp.resolve("text_encoder/config.json"), textEncoder.config().toJson());
        SafeTensorsWriter.write(tmp.resolve("transformer/diffusion_pytorch_model.safetensors"),
                arrays(transformer.namedParameters()), metadata);
        SafeTensorsWriter.write(tmp.resolve("text_encoder/model.safetensors"), arrays(textEncoder.namedParameters()),
                metadata);
        Files.writeString(tmp.resolve("model_index.json"),
                "{\n  \"_class_name\": \"ToyWanPipeline\",\n  \"transformer\": [\"diffusers\", \"WanTransformer3DModel\"],\n"
                        + "  \"text_encoder\": [\"qvgen\", \"ToyTextEncoder\"]\n}\n");
        Path old = dir.resolveSibling(dir.getFileName() + ".old");
        dev.qvgen.layers.io.FileTrees.delete(old);
        if (Files.exists(dir)) {
            Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        dev.qvgen.layers.io.FileTrees.delete(old);
    }

    private static Map<String, NDArray> arrays(Map<String, Parameter> params) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, v.getArray()));
        return out;
    }
}

package dev.qvgen.models.toy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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

    /** Pixel channels of a toy clip (RGB). */
    public static final int PIXEL_CHANNELS = 3;

    /**
     * Coordinate planes a toy transformer may take beside the pixels (frame, row, column, each from -1 to 1), as
     * Wan2.1's image-to-video transformer takes its condition channels beside the noise (in_channels 36, out 16).
     * Wan's only positions are rotary, i.e. relative: at high noise, where the clip no longer shows where an object
     * is, a model without them cannot put a "moves right" object's first frames on the left and its last on the
     * right, which is what the caption says there.
     */
    public static final int COORDINATE_CHANNELS = 3;

    /** Whether the transformer takes the coordinate planes ({@code in_channels} 6) or pixels alone (3). */
    public boolean takesCoordinates() {
        return transformer.config().inChannels() == PIXEL_CHANNELS + COORDINATE_CHANNELS;
    }

    /**
     * The transformer's input for the noisy clips {@code xt} (B, 3, F, H, W): {@code xt} itself, or {@code xt} with
     * the coordinate planes appended along the channels.
     */
    public NDArray input(NDArray xt) {
        if (!takesCoordinates()) {
            return xt;
        }
        Shape s = xt.getShape();
        NDArray planes = xt.getManager().create(coordinatePlanes((int) s.get(2), (int) s.get(3), (int) s.get(4)),
                new Shape(1, COORDINATE_CHANNELS, s.get(2), s.get(3), s.get(4))).toType(xt.getDataType(), false);
        return xt.concat(planes.broadcast(new Shape(s.get(0), COORDINATE_CHANNELS, s.get(2), s.get(3), s.get(4))), 1);
    }

    /** Frame, row and column planes (3, F, H, W), each running from -1 to 1 (0 along an axis of length 1). */
    static float[] coordinatePlanes(int f, int h, int w) {
        int plane = f * h * w;
        float[] v = new float[COORDINATE_CHANNELS * plane];
        for (int t = 0; t < f; t++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int k = (t * h + y) * w + x;
                    v[k] = ramp(t, f);
                    v[plane + k] = ramp(y, h);
                    v[2 * plane + k] = ramp(x, w);
                }
            }
        }
        return v;
    }

    private static float ramp(int i, int n) {
        return n == 1 ? 0f : -1f + 2f * i / (n - 1);
    }

    /** The published toy configuration: 4 blocks of width 64 on (2,4,4) pixel patches, with the coordinate planes. */
    public static WanConfig defaultTransformerConfig(int textDim) {
        return transformerConfig(textDim, 4, 16, 4, new int[] {2, 4, 4}, true);
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
        return transformerConfig(textDim, heads, headDim, layers, patch, false);
    }

    /** As above; with {@code coordinates} the transformer also takes the {@link #COORDINATE_CHANNELS} planes. */
    public static WanConfig transformerConfig(int textDim, int heads, int headDim, int layers, int[] patch,
            boolean coordinates) {
        int in = PIXEL_CHANNELS + (coordinates ? COORDINATE_CHANNELS : 0);
        return new WanConfig(patch.clone(), heads, headDim, in, PIXEL_CHANNELS, textDim, 64, 3 * heads * headDim,
                layers, true, "rms_norm_across_heads", 1e-6, 32);
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

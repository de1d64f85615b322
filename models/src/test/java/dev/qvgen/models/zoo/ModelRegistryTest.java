package dev.qvgen.models.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.models.cogvideox.CogVideoXConfig;
import dev.qvgen.models.cogvideox.CogVideoXTransformer3DModel;
import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.models.wan.WanConfig;
import dev.qvgen.models.wan.WanTransformer3DModel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

class ModelRegistryTest {
    static final Path GOLDEN = Path.of("../shared/fixtures/golden");

    @TempDir
    Path tmp;

    @Test
    void registersTheFourTargetsAndCogVideoX5b() {
        assertTrue(ModelRegistry.names().containsAll(List.of("cogvideox-2b", "cogvideox1.5-5b", "wan2.1-t2v-1.3b",
                "wan2.1-t2v-14b", "cogvideox-5b")));
        var e = assertThrows(IllegalArgumentException.class, () -> ModelRegistry.get("sora"));
        assertTrue(e.getMessage().contains("sora") && e.getMessage().contains("cogvideox-2b"), e.getMessage());
    }

    @Test
    void samplingDefaultsAreThePublishedOnesAndFitTheVae() {
        SamplingDefaults c2 = ModelRegistry.get("cogvideox-2b").sampling();
        assertEquals(List.of(720, 480, 49, 8, 50), List.of(c2.width(), c2.height(), c2.frames(), c2.fps(), c2.steps()));
        assertEquals(6.0, c2.guidanceScale());
        assertEquals("CogVideoXDDIMScheduler", c2.scheduler());
        SamplingDefaults c15 = ModelRegistry.get("cogvideox1.5-5b").sampling();
        assertEquals(List.of(1360, 768, 81, 16), List.of(c15.width(), c15.height(), c15.frames(), c15.fps()));
        SamplingDefaults w14 = ModelRegistry.get("wan2.1-t2v-14b").sampling();
        assertEquals(List.of(1280, 720, 81, 16, 50), List.of(w14.width(), w14.height(), w14.frames(), w14.fps(),
                w14.steps()));
        assertEquals(5.0, w14.schedulerShift());
        assertEquals(3.0, ModelRegistry.get("wan2.1-t2v-1.3b").sampling().schedulerShift());
        for (ModelSpec s : ModelRegistry.published()) {
            SamplingDefaults d = s.sampling();
            // 8x spatial / 4x temporal VAEs with 2x2 patches: sizes a multiple of 16, frames 4k+1.
            assertEquals(0, d.width() % 16, s.name());
            assertEquals(0, d.height() % 16, s.name());
            assertEquals(1, d.frames() % 4, s.name());
            assertTrue(d.steps() > 0 && d.guidanceScale() > 1 && d.fps() > 0, s.name());
        }
    }

    @Test
    void fullSizeStructuresHaveThePublishedSizesWithoutAllocating() {
        // Declared but unassigned: no weights are made, so the 14B model is cheap to inspect.
        Map<String, long[]> expectedRange = Map.of(
                "cogvideox-2b", new long[] {1_600_000_000L, 1_800_000_000L},
                "cogvideox-5b", new long[] {5_300_000_000L, 5_700_000_000L},
                "cogvideox1.5-5b", new long[] {5_300_000_000L, 5_700_000_000L},
                "wan2.1-t2v-1.3b", new long[] {1_300_000_000L, 1_500_000_000L},
                "wan2.1-t2v-14b", new long[] {13_500_000_000L, 14_800_000_000L});
        try (NDManager m = NDManager.newBaseManager()) {
            for (String name : ModelRegistry.published().stream().map(ModelSpec::name).toList()) {
                Module model = ModelRegistry.buildTransformer(name, m, false);
                long n = ModelRegistry.parameterCount(model);
                long[] r = expectedRange.get(name);
                assertTrue(n >= r[0] && n <= r[1], name + " has " + n + " parameters");
                Parameter any = model.namedParameters().values().iterator().next();
                assertFalse(any.isInitialized(), name);
                String blocks = name.startsWith("wan") ? "blocks." : "transformer_blocks.";
                long linearsInBlocks = model.namedModules().entrySet().stream()
                        .filter(e -> e.getValue() instanceof Linear && e.getKey().startsWith(blocks)).count();
                TransformerSpec spec = ModelRegistry.get(name).transformer();
                int layers = spec instanceof TransformerSpec.CogVideoX c ? c.config().numLayers()
                        : ((TransformerSpec.Wan) spec).config().numLayers();
                // CogVideoX: q, k, v, out, ff in/out, two adaptive-norm linears; Wan: 2x(q, k, v, out) + ff.
                assertEquals((long) layers * (name.startsWith("wan") ? 10 : 8), linearsInBlocks, name);
            }
        }
    }

    @Test
    void embeddedCogVideoXConfigsRoundTripThroughTheStrictReader() {
        for (ModelSpec s : ModelRegistry.published()) {
            if (s.transformer() instanceof TransformerSpec.CogVideoX c) {
                assertEquals(c.config(), CogVideoXConfig.fromJson(s.name(), c.toJson()), s.name());
            }
        }
        CogVideoXConfig c15 = ((TransformerSpec.CogVideoX) ModelRegistry.get("cogvideox1.5-5b").transformer()).config();
        assertEquals(2, c15.patchSizeT());
        assertTrue(c15.useRotaryPositionalEmbeddings());
        CogVideoXConfig c2 = ((TransformerSpec.CogVideoX) ModelRegistry.get("cogvideox-2b").transformer()).config();
        assertFalse(c2.useRotaryPositionalEmbeddings());
        assertEquals(1920, c2.innerDim());
    }

    /** Three linear layers, 25 M values: enough for randomInit to fill them on several threads. */
    private static final class ThreeLinears extends Module {
        ThreeLinears() {
            for (int i = 0; i < 3; i++) {
                child("l" + i, new dev.qvgen.layers.nn.Linear(4096, 2048, true));
            }
        }
    }

    @Test
    void parallelRandomInitGivesTheSequentialValues() {
        try (NDManager m = NDManager.newBaseManager()) {
            Module one = new ThreeLinears();
            Module many = new ThreeLinears();
            ModelRegistry.randomInit(one, m, 3, 1);
            ModelRegistry.randomInit(many, m, 3, 3);
            for (String name : one.namedParameters().keySet()) {
                assertArrayEquals(one.namedParameters().get(name).getArray().toFloatArray(),
                        many.namedParameters().get(name).getArray().toFloatArray(), name);
            }
        }
    }

    @Test
    void shrunkRandomBuildIsDeterministicNamedAsPublishedAndRuns() {
        CogVideoXConfig full = ((TransformerSpec.CogVideoX) ModelRegistry.get("cogvideox1.5-5b").transformer()).config();
        TransformerSpec small = new TransformerSpec.CogVideoX(full.resized(2, 16, 2, 8, 32));
        try (NDManager m = NDManager.newBaseManager()) {
            Module a = ModelRegistry.buildTransformer(small, m, true, 7);
            Module b = ModelRegistry.buildTransformer(small, m, true, 7);
            Module c = ModelRegistry.buildTransformer(small, m, true, 8);
            float[] wa = a.namedParameters().get("transformer_blocks.1.attn1.to_q.weight").getArray().toFloatArray();
            float[] wb = b.namedParameters().get("transformer_blocks.1.attn1.to_q.weight").getArray().toFloatArray();
            float[] wc = c.namedParameters().get("transformer_blocks.1.attn1.to_q.weight").getArray().toFloatArray();
            assertArrayEquals(wa, wb);
            assertFalse(Arrays.equals(wa, wc));
            double bound = 1.0 / Math.sqrt(32);
            assertTrue(max(wa) <= bound && max(wa) > 0.5 * bound, "uniform(+-1/sqrt(fan_in)): " + max(wa));
            assertArrayEquals(ones(16), a.namedParameters().get("transformer_blocks.0.attn1.norm_q.weight")
                    .getArray().toFloatArray());

            NDArray latents = m.randomNormal(new Shape(1, 2, 16, 4, 4));
            List<NDArray> seen = new ArrayList<>();
            ((CogVideoXTransformer3DModel) a).setBlockObserver((i, x) -> seen.add(x));
            NDArray out = ((CogVideoXTransformer3DModel) a).forward(latents, m.create(new float[] {500f}),
                    m.randomNormal(new Shape(1, 5, 32)));
            assertEquals(latents.getShape(), out.getShape());
            assertEquals(2, seen.size());
            assertTrue(seen.get(0).isReleased(), "block 0's output is freed once block 1 has read it");
            float[] o = out.toFloatArray();
            for (float v : o) {
                assertTrue(Float.isFinite(v));
            }
            assertTrue(max(o) > 0);
        }
    }

    @Test
    void randomBuildsOfTheFixtureConfigsMatchThePublishedTensorNamesAndShapes() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (String family : List.of("cogvideox-2b", "cogvideox1.5-5b", "wan2.1")) {
                Path tr = GOLDEN.resolve(family).resolve("pipeline/transformer");
                TransformerSpec spec = family.startsWith("wan")
                        ? new TransformerSpec.Wan(WanConfig.read(tr.resolve("config.json")))
                        : new TransformerSpec.CogVideoX(CogVideoXConfig.read(tr.resolve("config.json")));
                Module model = ModelRegistry.buildTransformer(spec, m, true, 1);
                Map<String, List<Long>> built = new TreeMap<>();
                model.namedParameters().forEach((k, p) -> built.put(k, toList(p.getArray().getShape().getShape())));
                Map<String, List<Long>> published = new TreeMap<>();
                try (SafeTensorsFile f = SafeTensorsFile.open(tr.resolve("diffusion_pytorch_model.safetensors"))) {
                    f.names().forEach(k -> published.put(k, toList(f.info(k).shape())));
                }
                assertEquals(published, built, family);
                assertEquals(WeightLoader.declaredShapes(model).size(), built.size());
            }
            // The concrete classes the specs build.
            assertTrue(new TransformerSpec.Wan(WanConfig.read(GOLDEN.resolve("wan2.1/pipeline/transformer/config.json")))
                    .build() instanceof WanTransformer3DModel);
        }
    }

    @Test
    void completeCheckpointDirectoriesPass() throws IOException {
        ModelRegistry.checkDirectory(GOLDEN.resolve("cogvideox-2b/pipeline"));
        ModelRegistry.checkDirectory("cogvideox1.5-5b", GOLDEN.resolve("cogvideox1.5-5b/pipeline"));
        ModelRegistry.checkDirectory("wan2.1-t2v-14b", GOLDEN.resolve("wan2.1/pipeline"));
        Path d = layout(tmp.resolve("sharded"), true);
        ModelRegistry.checkDirectory(d);
    }

    @Test
    void incompleteDirectoriesNameEverythingMissing() throws IOException {
        Path d = layout(tmp.resolve("broken"), false);
        Files.delete(d.resolve("vae/diffusion_pytorch_model.safetensors"));
        Files.delete(d.resolve("tokenizer/tokenizer_config.json"));
        var e = assertThrows(CheckpointException.class, () -> ModelRegistry.checkDirectory(d));
        assertTrue(e.getMessage().startsWith(d.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("vae/diffusion_pytorch_model.safetensors"), e.getMessage());
        assertTrue(e.getMessage().contains("tokenizer/tokenizer_config.json"), e.getMessage());
        assertFalse(e.getMessage().contains("scheduler"), e.getMessage());

        Path s = layout(tmp.resolve("shard"), true);
        Files.delete(s.resolve("transformer/diffusion_pytorch_model-00002-of-00002.safetensors"));
        Files.delete(s.resolve("scheduler/scheduler_config.json"));
        e = assertThrows(CheckpointException.class, () -> ModelRegistry.checkDirectory(s));
        assertTrue(e.getMessage().contains("transformer/diffusion_pytorch_model-00002-of-00002.safetensors"),
                e.getMessage());
        assertTrue(e.getMessage().contains("scheduler/scheduler_config.json"), e.getMessage());
        assertFalse(e.getMessage().contains("00001"), e.getMessage());

        var nf = assertThrows(CheckpointException.class, () -> ModelRegistry.checkDirectory(tmp.resolve("nope")));
        assertTrue(nf.getMessage().contains("not found"));
    }

    @Test
    void checkingAgainstANameRejectsAnotherFamily() {
        var e = assertThrows(CheckpointException.class,
                () -> ModelRegistry.checkDirectory("wan2.1-t2v-1.3b", GOLDEN.resolve("cogvideox-2b/pipeline")));
        assertTrue(e.getMessage().contains("CogVideoXPipeline") && e.getMessage().contains("WanPipeline"),
                e.getMessage());
    }

    /** A diffusers layout with empty files; the transformer sharded when asked. */
    private static Path layout(Path d, boolean sharded) throws IOException {
        for (String f : List.of("model_index.json", "transformer/config.json", "text_encoder/config.json",
                "text_encoder/model.safetensors", "vae/config.json", "vae/diffusion_pytorch_model.safetensors",
                "tokenizer/tokenizer_config.json", "tokenizer/spiece.model", "scheduler/scheduler_config.json")) {
            touch(d.resolve(f));
        }
        if (sharded) {
            touch(d.resolve("transformer/diffusion_pytorch_model-00001-of-00002.safetensors"));
            touch(d.resolve("transformer/diffusion_pytorch_model-00002-of-00002.safetensors"));
            Files.writeString(d.resolve("transformer/diffusion_pytorch_model.safetensors.index.json"), """
                    {"metadata": {"total_size": 8}, "weight_map": {
                      "a.weight": "diffusion_pytorch_model-00001-of-00002.safetensors",
                      "b.weight": "diffusion_pytorch_model-00002-of-00002.safetensors"}}
                    """);
        } else {
            touch(d.resolve("transformer/diffusion_pytorch_model.safetensors"));
        }
        return d;
    }

    private static void touch(Path p) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, "{}");
    }

    private static float max(float[] v) {
        float m = Float.NEGATIVE_INFINITY;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        Arrays.fill(v, 1f);
        return v;
    }

    private static List<Long> toList(long[] a) {
        return Arrays.stream(a).boxed().toList();
    }
}

package dev.qvgen.models.cogvideox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Tensors;
import dev.qvgen.models.zoo.ModelRegistry;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Config strictness, the ofs condition, the pipeline's crop rule, and the quantizer's hook. */
class CogVideoXModelTest {
    static final Path CONFIG_15 = Path.of("../shared/fixtures/golden/cogvideox1.5-5b/pipeline/transformer/config.json");
    static final Path CONFIG_2B = Path.of("../shared/fixtures/golden/cogvideox-2b/pipeline/transformer/config.json");

    private static JsonObject json(Path p) throws IOException {
        return JsonParser.parseString(Files.readString(p)).getAsJsonObject();
    }

    @Test
    void configReaderIsStrictButAcceptsConfigsThatPredateLaterKeys() throws IOException {
        JsonObject o = json(CONFIG_2B);
        o.addProperty("shiny_new_option", 1);
        var e = assertThrows(CheckpointException.class, () -> CogVideoXConfig.fromJson("x.json", o.toString()));
        assertTrue(e.getMessage().contains("x.json") && e.getMessage().contains("shiny_new_option"), e.getMessage());

        JsonObject missing = json(CONFIG_2B);
        missing.remove("time_embed_dim");
        e = assertThrows(CheckpointException.class, () -> CogVideoXConfig.fromJson("y.json", missing.toString()));
        assertTrue(e.getMessage().contains("time_embed_dim"), e.getMessage());

        // The first published 2B/5B configs have none of the keys diffusers added later.
        JsonObject old = json(CONFIG_2B);
        for (String k : new String[] {"patch_size_t", "ofs_embed_dim", "patch_bias", "use_learned_positional_embeddings"}) {
            old.remove(k);
        }
        assertEquals(CogVideoXConfig.read(CONFIG_2B), CogVideoXConfig.fromJson("old.json", old.toString()));

        JsonObject learned = json(CONFIG_15);
        learned.addProperty("use_learned_positional_embeddings", true);
        e = assertThrows(CheckpointException.class, () -> CogVideoXConfig.fromJson("i2v.json", learned.toString()));
        assertTrue(e.getMessage().contains("use_learned_positional_embeddings"), e.getMessage());
    }

    @Test
    void ofsConditionIsEmbeddedAndRequiredWhenConfigured() throws IOException {
        JsonObject o = json(CONFIG_15);
        o.addProperty("ofs_embed_dim", 8);
        CogVideoXConfig c = CogVideoXConfig.fromJson("ofs.json", o.toString());
        try (NDManager m = NDManager.newBaseManager()) {
            CogVideoXTransformer3DModel model = new CogVideoXTransformer3DModel(c);
            assertEquals(new Shape(8, 8), WeightLoader.declaredShapes(model).get("ofs_embedding.linear_1.weight"));
            ModelRegistry.randomInit(model, m, 3);
            NDArray x = m.randomNormal(new Shape(1, 2, 4, 4, 6));
            NDArray t = m.create(new float[] {300f});
            NDArray text = m.randomNormal(new Shape(1, 3, 32));
            assertThrows(IllegalArgumentException.class, () -> model.forward(x, t, text));
            NDArray a = model.forward(x, t, text, m.create(new float[] {2f}));
            NDArray b = model.forward(x, t, text, m.create(new float[] {5f}));
            assertTrue(Tensors.relativeL2(a, b) > 1e-4, "ofs must change the output");
        }
    }

    @Test
    void resizeCropRegionRoundsHalfToEvenLikePython() {
        // 720x480 latents at patch 2 fill the 45x30 base grid exactly.
        assertArrayEquals(new int[] {0, 0, 30, 45}, CogVideoXPositions.resizeCropRegionForGrid(30, 45, 45, 30));
        // A square 10x10 grid in a 43x30 base: height-bound, width 30, left = round(6.5) = 6 (half to even).
        assertArrayEquals(new int[] {0, 6, 30, 36}, CogVideoXPositions.resizeCropRegionForGrid(10, 10, 43, 30));
        float[] l = CogVideoXPositions.linspace(0, 2.0, 3);
        assertArrayEquals(new float[] {0f, 1f, 2f}, l);
    }

    @Test
    void linearKernelsOfTheBlocksAreHookable() {
        CogVideoXConfig c = CogVideoXConfig.read(CONFIG_2B);
        try (NDManager m = NDManager.newBaseManager()) {
            CogVideoXTransformer3DModel model = new CogVideoXTransformer3DModel(c);
            ModelRegistry.randomInit(model, m, 5);
            NDArray x = m.randomNormal(new Shape(1, 3, 4, 4, 6));
            NDArray t = m.create(new float[] {700f});
            NDArray text = m.randomNormal(new Shape(1, 16, 32));
            NDArray ref = model.forward(x, t, text);
            int[] calls = {0};
            model.namedModules().forEach((path, mod) -> {
                if (mod instanceof Linear l && path.startsWith("transformer_blocks.")) {
                    l.setKernel((layer, in) -> {
                        calls[0]++;
                        return layer.dense(in, layer.weight().mul(0.5f));
                    });
                }
            });
            NDArray hooked = model.forward(x, t, text);
            assertEquals(2 * 8, calls[0], "8 linear layers per block, 2 blocks");
            assertFalse(Tensors.relativeL2(hooked, ref) < 1e-3);
        }
    }
}

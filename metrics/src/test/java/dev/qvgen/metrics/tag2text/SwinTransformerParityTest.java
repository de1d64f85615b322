package dev.qvgen.metrics.tag2text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.io.SafeTensorsWriter;
import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.nn.Scopes;
import dev.qvgen.layers.nn.Tensors;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tag2Text's Swin image encoder against VBench's swin_transformer.py on the toy Tag2Text of
 * resources/tag2text/make_fixture.py (Swin at 384 x 384, window 12, embed 16, four stages), plus
 * the window bookkeeping on cases small enough to work out by hand.
 */
class SwinTransformerParityTest {
    /** Two stages over an 8 x 8 grid with window 4: the first has a shifted block, the second is one window. */
    static final SwinTransformer.Config SMALL = new SwinTransformer.Config(32, 4, 8, new int[] {2, 2},
            new int[] {2, 4}, 4);

    static Path resource(String name) throws Exception {
        return Path.of(SwinTransformerParityTest.class.getResource("/tag2text/" + name).toURI());
    }

    static SwinTransformer.Config toyConfig() throws Exception {
        JsonObject swin = JsonParser.parseString(Files.readString(resource("config.json"))).getAsJsonObject()
                .getAsJsonObject("swin");
        return new SwinTransformer.Config(swin.get("image_res").getAsInt(), swin.get("patch_size").getAsInt(),
                swin.get("embed_dim").getAsInt(), ints(swin, "depths"), ints(swin, "num_heads"),
                swin.get("window_size").getAsInt());
    }

    private static int[] ints(JsonObject o, String key) {
        var a = o.getAsJsonArray(key);
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }

    @Test
    void toyEncoderMatchesTheReference() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); SafeTensorsFile golden = SafeTensorsFile.open(resource(
                "golden.safetensors"))) {
            SwinTransformer.Config c = toyConfig();
            SwinTransformer model = SwinTransformer.load(resource("tag2text_toy.pth"), c, m);
            NDArray ref = golden.load("vision.out", m);
            assertEquals(new Shape(2, c.tokens(), c.width()), ref.getShape());
            NDArray out = model.forward(golden.load("image", m));
            double e = Tensors.relativeL2(out, ref);
            assertTrue(e < 1e-4, "vision.out rel_l2 " + e);
        }
    }

    @Test
    void shiftedWindowMaskOfASmallCaseIsTheHandComputedOne() {
        // 4 x 4 grid, window 2, shift 1: row and column bands [0, 2), [2, 3), [3, 4)
        float x = SwinWindows.MASKED;
        float[] expected = {
            // top-left window: one band
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            // top-right: columns 2 and 3 are different bands
            0, x, 0, x, x, 0, x, 0, 0, x, 0, x, x, 0, x, 0,
            // bottom-left: rows 2 and 3 are different bands
            0, 0, x, x, 0, 0, x, x, x, x, 0, 0, x, x, 0, 0,
            // bottom-right: four bands, each token alone
            0, x, x, x, x, 0, x, x, x, x, 0, x, x, x, x, 0};
        assertArrayEquals(expected, SwinWindows.shiftMask(4, 4, 2, 1));
    }

    @Test
    void relativePositionIndexOfAWindowOfTwo() {
        // tokens (0,0) (0,1) (1,0) (1,1); row (dh + 1) * 3 + (dw + 1) of the 3 x 3 table
        long[] expected = {4, 3, 1, 0, 5, 4, 2, 1, 7, 6, 4, 3, 8, 7, 5, 4};
        assertArrayEquals(expected, SwinWindows.relativePositionIndex(2));
    }

    @Test
    void windowsAndTheCyclicShiftInvertEachOther() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray grid = m.arange(2 * 8 * 8 * 3).toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                    .reshape(2, 8, 8, 3);
            NDArray rolled = SwinWindows.roll(grid, 2);
            // torch.roll by -2: position (0, 0) holds what was at (2, 2)
            assertArrayEquals(grid.get("0, 2, 2").toFloatArray(), rolled.get("0, 0, 0").toFloatArray());
            assertArrayEquals(grid.get("1, 7, 1").toFloatArray(), rolled.get("1, 5, 7").toFloatArray());
            NDArray windows = SwinWindows.partition(rolled, 4);
            assertEquals(new Shape(8, 16, 3), windows.getShape());
            // the second window of the first image starts at column 4 of row 0
            assertArrayEquals(rolled.get("0, 0, 4").toFloatArray(), windows.get("1, 0").toFloatArray());
            NDArray back = SwinWindows.roll(SwinWindows.reverse(windows, 4, 8, 8), -2);
            assertArrayEquals(grid.toFloatArray(), back.toFloatArray());
        }
    }

    @Test
    void aRandomEncoderLoadsByNameAndPrependsTheMeanToken(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path file = dir.resolve("swin.safetensors");
            SafeTensorsWriter.write(file, randomWeights(SMALL, m, Map.of()), Map.of());
            try (SafeTensorsFile source = SafeTensorsFile.open(file)) {
                SwinTransformer model = SwinTransformer.load(source, SMALL, m);
                NDArray image = m.randomNormal(new Shape(2, 3, 32, 32));
                // twice inside a scope: nothing the model caches may die with a call's temporaries
                NDArray first = Scopes.scoped(() -> model.forward(image));
                NDArray out = Scopes.scoped(() -> model.forward(image));
                assertEquals(new Shape(2, 1 + 16, 16), out.getShape());
                assertTrue(Tensors.relativeL2(out, first) < 1e-7);
                NDArray mean = out.get(":, 1:, :").mean(new int[] {1});
                assertTrue(Tensors.relativeL2(out.get(":, 0, :"), mean) < 1e-6);
                assertThrows(IllegalArgumentException.class, () -> model.forward(m.zeros(new Shape(1, 3, 36, 36))));
            }
        }
    }

    @Test
    void aBiasTableForAnotherWindowOrAMissingTensorIsRefusedByName(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            String table = "layers.0.blocks.1.attn.relative_position_bias_table";
            Path wrong = dir.resolve("window3.safetensors");
            // the (2*3-1)^2 rows of a window of 3 where a window of 4 needs 49
            SafeTensorsWriter.write(wrong, randomWeights(SMALL, m, Map.of(table, new Shape(25, 2))), Map.of());
            try (SafeTensorsFile source = SafeTensorsFile.open(wrong)) {
                CheckpointException e = assertThrows(CheckpointException.class,
                        () -> SwinTransformer.load(source, SMALL, m));
                assertTrue(e.getMessage().contains(table) && e.getMessage().contains("window 4")
                        && e.getMessage().contains("window3.safetensors"), e.getMessage());
            }
            Map<String, NDArray> weights = randomWeights(SMALL, m, Map.of());
            weights.remove("layers.0.downsample.norm.weight");
            Path missing = dir.resolve("missing.safetensors");
            SafeTensorsWriter.write(missing, weights, Map.of());
            try (SafeTensorsFile source = SafeTensorsFile.open(missing)) {
                CheckpointException e = assertThrows(CheckpointException.class,
                        () -> SwinTransformer.load(source, SMALL, m));
                assertTrue(e.getMessage().contains("layers.0.downsample.norm.weight"), e.getMessage());
            }
        }
    }

    @Test
    void thePublishedConfigIsSwinBAt384() {
        SwinTransformer.Config c = SwinTransformer.Config.swinB384();
        assertEquals(1024, c.width());
        assertEquals(1 + 12 * 12, c.tokens());
        // the last stage is a single 12 x 12 window: no shift there, a shifted block in the others
        SwinTransformer model = new SwinTransformer(c);
        assertEquals(12, ((SwinBlock) model.namedModules().get("layers.3.blocks.1")).window());
        assertEquals(0, ((SwinBlock) model.namedModules().get("layers.3.blocks.1")).shift());
        assertEquals(6, ((SwinBlock) model.namedModules().get("layers.2.blocks.17")).shift());
        assertEquals(new Shape(529, 16),
                WeightLoader.declaredShapes(model).get("layers.2.blocks.0.attn.relative_position_bias_table"));
    }

    /** Every parameter of {@code c} with a random value (or the given shape instead of its own). */
    private static Map<String, NDArray> randomWeights(SwinTransformer.Config c, NDManager m,
            Map<String, Shape> override) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        WeightLoader.declaredShapes(new SwinTransformer(c)).forEach((name, shape) -> {
            Shape s = override.getOrDefault(name, shape);
            out.put(name, name.endsWith("norm.weight") || name.endsWith("norm1.weight")
                    || name.endsWith("norm2.weight") ? m.randomUniform(0.5f, 1.5f, s)
                    : m.randomNormal(0f, 0.2f, s, ai.djl.ndarray.types.DataType.FLOAT32));
        });
        return out;
    }
}

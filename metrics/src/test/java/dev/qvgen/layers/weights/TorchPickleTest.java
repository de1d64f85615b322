package dev.qvgen.layers.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.qvgen.layers.io.CheckpointException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TorchPickleTest {
    static final Path DINO = Path.of("../shared/fixtures/metrics/dino-vit/dino_vit_pretrain.pth");
    static final Path CLIP = Path.of("../shared/fixtures/metrics/clip/clip_state_dict.pth");

    @Test
    void readsStateDictNamesShapesAndValues() {
        try (TorchPickle pth = TorchPickle.open(DINO); NDManager m = NDManager.newBaseManager()) {
            assertEquals(4 + 2 * 12 + 2, pth.names().size());
            assertArrayEquals(new long[] {1, 197, 64}, pth.info("pos_embed").shape());
            assertArrayEquals(new long[] {192, 64}, pth.info("blocks.0.attn.qkv.weight").shape());
            assertEquals("F32", pth.info("cls_token").dtype());
            NDArray w = pth.load("blocks.1.mlp.fc1.weight", m);
            assertArrayEquals(new long[] {256, 64}, w.getShape().getShape());
            float[] v = w.toFloatArray();
            // random init: finite, not all equal (a wrong offset would give zeros or garbage)
            double sum = 0;
            for (float f : v) {
                assertTrue(Float.isFinite(f));
                sum += Math.abs(f);
            }
            assertTrue(sum > 1e-3);
            assertTrue(v[0] != v[1]);
        }
    }

    @Test
    void readsClipKeys() {
        try (TorchPickle pth = TorchPickle.open(CLIP)) {
            assertTrue(pth.names().contains("visual.transformer.resblocks.1.attn.in_proj_weight"));
            assertTrue(pth.names().contains("logit_scale"));
            assertArrayEquals(new long[] {}, pth.info("logit_scale").shape());
        }
    }

    @Test
    void rejectsNonZipAndMissingFiles(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("legacy.pth");
        Files.write(bad, new byte[] {(byte) 0x80, 2, 'c', 'x'});
        CheckpointException e = assertThrows(CheckpointException.class, () -> TorchPickle.open(bad));
        assertTrue(e.getMessage().startsWith(bad.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("zip"), e.getMessage());
        CheckpointException missing = assertThrows(CheckpointException.class,
                () -> TorchPickle.open(dir.resolve("none.pth")));
        assertTrue(missing.getMessage().contains("not found"));
    }

    @Test
    void rejectsTruncatedStorage(@TempDir Path dir) throws IOException {
        // copy the fixture with storage data/2 cut short
        Path out = dir.resolve("cut.pth");
        try (var in = new java.util.zip.ZipFile(DINO.toFile());
                var zos = new java.util.zip.ZipOutputStream(Files.newOutputStream(out))) {
            for (var en = in.entries(); en.hasMoreElements(); ) {
                var e = en.nextElement();
                byte[] b = in.getInputStream(e).readAllBytes();
                if (e.getName().endsWith("data/2")) {
                    b = java.util.Arrays.copyOf(b, 100);
                }
                zos.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
                zos.write(b);
                zos.closeEntry();
            }
        }
        try (TorchPickle pth = TorchPickle.open(out); NDManager m = NDManager.newBaseManager()) {
            String name = "patch_embed.proj.weight";
            CheckpointException e = assertThrows(CheckpointException.class, () -> pth.load(name, m));
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        }
    }

    @Test
    void honoursStridesOffsetsAndNestedDicts() {
        try (TorchPickle pth = TorchPickle.open(dev.qvgen.metrics.TestResources.torch("views.pth")); NDManager m = NDManager.newBaseManager()) {
            assertEquals(java.util.Set.of("model.plain", "model.transposed", "model.offset"), pth.names());
            assertTrue(!pth.torchScript());
            assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, pth.load("model.plain", m).toFloatArray());
            assertArrayEquals(new float[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11},
                    pth.load("model.transposed", m).toFloatArray());
            assertArrayEquals(new float[] {5, 6, 7, 8, 9, 10}, pth.load("model.offset", m).toFloatArray());
        }
    }

    @Test
    void flattensATorchScriptModuleTreeToStateDictNames() {
        try (TorchPickle pth = TorchPickle.open(dev.qvgen.metrics.TestResources.torch("torchscript_tree.pth")); NDManager m = NDManager.newBaseManager()) {
            assertEquals(java.util.Set.of("proj.weight", "proj.bias", "logit_scale"), pth.names());
            assertTrue(pth.torchScript());
            assertArrayEquals(new float[] {1, 2, 3, 4}, pth.load("proj.weight", m).toFloatArray());
            assertArrayEquals(new long[] {2, 2}, pth.info("proj.weight").shape());
            assertEquals(4.6052f, pth.load("logit_scale", m).toFloatArray()[0], 1e-6f);
        }
    }
}

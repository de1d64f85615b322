package dev.qvgen.metrics.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.qvgen.models.io.CheckpointException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TorchCheckpointTest {
    @TempDir
    Path tmp;

    @Test
    void readsThePublishedRaftLayout() {
        Path pth = Path.of("../shared/fixtures/metrics/raft/raft-things.pth");
        assumeTrue(Files.isRegularFile(pth), "no fixture");
        try (NDManager m = NDManager.newBaseManager(); TorchCheckpoint raw = TorchCheckpoint.open(pth)) {
            assertEquals(179, raw.names().size());
            assertTrue(raw.names().stream().allMatch(n -> n.startsWith("module.")));
            TorchCheckpoint ckpt = raw.withoutPrefix("module.");
            assertArrayEquals(new long[] {64, 3, 7, 7}, ckpt.info("fnet.conv1.weight").shape());
            assertEquals("F32", ckpt.info("fnet.conv1.weight").dtype());
            NDArray counter = ckpt.load("cnet.norm1.num_batches_tracked", m);
            assertEquals(DataType.INT64, counter.getDataType());
            assertEquals(0, counter.getShape().dimension());
            NDArray w = ckpt.load("update_block.mask.2.weight", m);
            assertEquals(576 * 256, w.size());
            assertTrue(w.abs().sum().getFloat() > 0);
        }
    }

    @Test
    void honoursStridesAndStorageOffsets() throws IOException {
        Path file = tmp.resolve("strided.pth");
        writeCheckpoint(file, stridedStateDict());
        try (NDManager m = NDManager.newBaseManager(); TorchCheckpoint ckpt = TorchCheckpoint.open(file)) {
            assertEquals(java.util.List.of("t", "tail"), java.util.List.copyOf(ckpt.names()));
            // storage [0..5]; "t" is a (2, 3) view with strides (1, 2): t[i][j] = s[i + 2j]
            assertArrayEquals(new float[] {0, 2, 4, 1, 3, 5}, ckpt.load("t", m).toFloatArray());
            assertArrayEquals(new long[] {2, 3}, ckpt.load("t", m).getShape().getShape());
            assertArrayEquals(new float[] {4, 5}, ckpt.load("tail", m).toFloatArray());
            assertEquals(16, ckpt.info("tail").begin());
        }
    }

    @Test
    void refusesArbitraryGlobals() throws IOException {
        Path file = tmp.resolve("evil.pth");
        ByteArrayOutputStream pkl = new ByteArrayOutputStream();
        pkl.write(new byte[] {(byte) 0x80, 2});
        global(pkl, "os", "system");
        pkl.write('.');
        writeCheckpoint(file, pkl.toByteArray());
        CheckpointException e = assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(file));
        assertTrue(e.getMessage().contains("os.system") && e.getMessage().contains("evil.pth"), e.getMessage());
    }

    @Test
    void namesTheFileWhenItIsNoZip() throws IOException {
        Path file = tmp.resolve("legacy.pth");
        Files.write(file, new byte[] {(byte) 0x80, 2, 'K', 1, '.'});
        CheckpointException e = assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    }

    @Test
    void namesAMissingStorage() throws IOException {
        Path file = tmp.resolve("nostorage.pth");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            zip.putNextEntry(new ZipEntry("archive/data.pkl"));
            zip.write(stridedStateDict());
            zip.closeEntry();
        }
        try (NDManager m = NDManager.newBaseManager(); TorchCheckpoint ckpt = TorchCheckpoint.open(file)) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> ckpt.load("t", m));
            assertTrue(e.getMessage().contains("data/0"), e.getMessage());
        }
    }

    /** OrderedDict {t: (2,3) stride (1,2) view of storage 0, tail: (2,) at offset 4}, pickled by hand. */
    private static byte[] stridedStateDict() throws IOException {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(new byte[] {(byte) 0x80, 2});
        global(p, "collections", "OrderedDict");
        p.write(new byte[] {')', 'R', '('});
        unicode(p, "t");
        tensor(p, 0, new int[] {2, 3}, new int[] {1, 2});
        unicode(p, "tail");
        tensor(p, 4, new int[] {2}, new int[] {1});
        p.write(new byte[] {'u', '.'});
        return p.toByteArray();
    }

    private static void tensor(ByteArrayOutputStream p, int offset, int[] size, int[] stride) throws IOException {
        global(p, "torch._utils", "_rebuild_tensor_v2");
        p.write('(');
        p.write('(');
        unicode(p, "storage");
        global(p, "torch", "FloatStorage");
        unicode(p, "0");
        unicode(p, "cpu");
        p.write(new byte[] {'K', 6, 't', 'Q', 'K', (byte) offset, '('});
        for (int s : size) {
            p.write(new byte[] {'K', (byte) s});
        }
        p.write(new byte[] {'t', '('});
        for (int s : stride) {
            p.write(new byte[] {'K', (byte) s});
        }
        p.write(new byte[] {'t', (byte) 0x89});
        global(p, "collections", "OrderedDict");
        p.write(new byte[] {')', 'R', 't', 'R'});
    }

    private static void global(OutputStream p, String module, String name) throws IOException {
        p.write(('c' + module + '\n' + name + '\n').getBytes(StandardCharsets.US_ASCII));
    }

    private static void unicode(OutputStream p, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        p.write('X');
        p.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
        p.write(b);
    }

    private static void writeCheckpoint(Path file, byte[] pkl) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            zip.putNextEntry(new ZipEntry("archive/data.pkl"));
            zip.write(pkl);
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("archive/data/0"));
            ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < 6; i++) {
                b.putFloat(i);
            }
            zip.write(b.array());
            zip.closeEntry();
        }
    }
}

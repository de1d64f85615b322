package dev.qvgen.layers.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.Linear;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/** Issue #16: a full disk names the file and leaves no .tmp; a tensor's dtype is checked at load. */
class IoReliabilityTest {
    @TempDir
    Path tmp;

    @Test
    void aFullDiskNamesTheFileAndLeavesNoTempFile() throws IOException {
        Path fullDevice = Path.of("/dev/full");
        assumeTrue(Files.exists(fullDevice), "skipped: no /dev/full on this system");
        Path out = tmp.resolve("state.safetensors");
        byte[] before = "the finished checkpoint".getBytes();
        Files.write(out, before);
        // the temp file is a link to /dev/full: every write to it fails with ENOSPC, as on a full disk
        Files.createSymbolicLink(tmp.resolve("state.safetensors.tmp"), fullDevice);
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> t = Map.of("w", m.ones(new Shape(1024)));
            IOException e = assertThrows(IOException.class, () -> SafeTensorsWriter.write(out, t, Map.of()));
            assertEquals(out + ": cannot write (No space left on device)", e.getMessage());
        }
        assertFalse(Files.exists(tmp.resolve("state.safetensors.tmp"), java.nio.file.LinkOption.NOFOLLOW_LINKS),
                "no temp file left");
        assertEquals(new String(before), Files.readString(out), "the old file is untouched");
    }

    @Test
    void aFloatTensorStoredAsInt32IsRefusedAtLoadWithItsName() throws IOException {
        Path file = tmp.resolve("model.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            // F32 bits written as I32: the byte size fits the layer's float weight exactly
            SafeTensorsWriter.write(file, Map.of("weight", m.create(new int[] {1065353216, 0, 0, 1065353216},
                    new Shape(2, 2))), Map.of());
            Linear layer = new Linear(2, 2, false);
            try (SafeTensorsFile src = SafeTensorsFile.open(file)) {
                CheckpointException e = assertThrows(CheckpointException.class,
                        () -> WeightLoader.load(layer, src, m, Set.of()));
                assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
                assertTrue(e.getMessage().contains("tensor weight is stored as I32"), e.getMessage());
                // and the in-place loader of checkpoints (QAT resume) refuses it too
                NDArray target = m.zeros(new Shape(2, 2));
                CheckpointException e2 = assertThrows(CheckpointException.class,
                        () -> src.loadInto("weight", target, m));
                assertTrue(e2.getMessage().contains("weight is stored as I32"), e2.getMessage());
            }
        }
    }
}

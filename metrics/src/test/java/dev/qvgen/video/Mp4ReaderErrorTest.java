package dev.qvgen.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.metrics.ToyClips;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Mp4ReaderErrorTest {

    @Test
    void missingFile(@TempDir Path dir) {
        assertFailsNaming(dir.resolve("absent.mp4"), "does not exist");
    }

    @Test
    void emptyFile(@TempDir Path dir) throws IOException {
        Path file = Files.createFile(dir.resolve("empty.mp4"));
        assertFailsNaming(file, "empty");
    }

    @Test
    void textFile(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("notes.mp4"), "this is not a video\n".repeat(50));
        assertFailsNaming(file, "not a readable video");
    }

    @Test
    void truncatedFiles(@TempDir Path dir) throws IOException {
        Path good = dir.resolve("good.mp4");
        Mp4Writer.write(good, ToyClips.render(ToyClips.standardPrompt(2)), 8);
        byte[] bytes = Files.readAllBytes(good);
        for (double keep : new double[] {0.3, 0.6, 0.95}) {
            Path cut = dir.resolve("cut" + (int) (keep * 100) + ".mp4");
            Files.write(cut, Arrays.copyOf(bytes, (int) (bytes.length * keep)));
            assertFailsNaming(cut, "");
        }
    }

    @Test
    void directoryIsNotAVideo(@TempDir Path dir) {
        assertFailsNaming(dir, "not a regular file");
    }

    private static void assertFailsNaming(Path file, String problem) {
        VideoReadException e = assertThrows(VideoReadException.class, () -> Mp4Reader.decode(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertEquals(file, e.file());
    }
}

package dev.qvgen.video;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.metrics.ToyClips;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Mp4RoundTripTest {

    @Test
    void renderedToyClipsSurviveEncodeAndDecode(@TempDir Path dir) {
        for (int index : new int[] {0, 5, 17, 31}) {
            float[][][][] frames = ToyClips.render(ToyClips.standardPrompt(index));
            Path file = dir.resolve("clip" + index + ".mp4");
            Mp4Writer.write(file, frames, 8);
            DecodedVideo decoded = Mp4Reader.decode(file);
            assertEquals(frames.length, decoded.frameCount());
            assertEquals(32, decoded.height());
            assertEquals(32, decoded.width());
            assertEquals(8.0, decoded.fps(), 1e-9);
            double error = meanAbsoluteError(frames, decoded.toFloats());
            assertTrue(error < 0.03, "clip " + index + " mean abs error " + error);
        }
    }

    @Test
    void readReturnsFloatFramesInUnitRange(@TempDir Path dir) {
        Path file = dir.resolve("gray.mp4");
        Mp4Writer.write(file, ToyClips.flat(3, 16, 24, 0.5f), 8);
        float[][][][] frames = Mp4Reader.read(file);
        assertEquals(3, frames.length);
        assertEquals(16, frames[0].length);
        assertEquals(24, frames[0][0].length);
        assertEquals(0.5, frames[2][7][11][1], 2.0 / 255);
    }

    @Test
    void sameFramesGiveByteIdenticalFiles(@TempDir Path dir) throws IOException {
        // Run-to-run differences were intermittent (early in a JVM), so compare several writes.
        float[][][][] frames = ToyClips.render(ToyClips.standardPrompt(3));
        Path first = dir.resolve("first.mp4");
        Mp4Writer.write(first, frames, 8);
        byte[] expected = Files.readAllBytes(first);
        for (int i = 0; i < 10; i++) {
            Path again = dir.resolve("again" + i + ".mp4");
            Mp4Writer.write(again, frames, 8);
            assertArrayEquals(expected, Files.readAllBytes(again), "write " + i);
        }
    }

    @Test
    void writingLeavesOnlyTheTargetAndReplacesIt(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("clip.mp4");
        Mp4Writer.write(file, ToyClips.flat(2, 32, 32, 0.2f), 8);
        long before = Files.size(file);
        Mp4Writer.write(file, ToyClips.noise(4, 32, 32, 1), 8);
        assertTrue(Files.size(file) > before, "noise clip should replace the flat one");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void badFramesAreRejectedBeforeWriting(@TempDir Path dir) {
        Path file = dir.resolve("bad.mp4");
        assertThrows(IllegalArgumentException.class, () -> Mp4Writer.write(file, ToyClips.flat(2, 31, 32, 0.2f), 8));
        float[][][][] withNaN = ToyClips.flat(2, 32, 32, 0.2f);
        withNaN[1][3][4][2] = Float.NaN;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Mp4Writer.write(file, withNaN, 8));
        assertTrue(e.getMessage().contains("frame 1 pixel (3,4)"), e.getMessage());
        assertTrue(Files.notExists(file));
    }

    private static double meanAbsoluteError(float[][][][] a, float[][][][] b) {
        double sum = 0;
        long n = 0;
        for (int t = 0; t < a.length; t++) {
            for (int r = 0; r < a[t].length; r++) {
                for (int c = 0; c < a[t][r].length; c++) {
                    for (int k = 0; k < 3; k++) {
                        sum += Math.abs(a[t][r][c][k] - b[t][r][c][k]);
                        n++;
                    }
                }
            }
        }
        return sum / n;
    }
}

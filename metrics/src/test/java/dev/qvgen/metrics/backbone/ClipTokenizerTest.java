package dev.qvgen.metrics.backbone;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.metrics.TestResources;
import dev.qvgen.layers.io.CheckpointException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hand-derived ids for a 4-merge vocabulary (bpe_tiny.txt: "h e", "l l", "he ll", "hell o&lt;/w&gt;"):
 * ids 0..255 are the byte symbols in bytes_to_unicode order ('!' = 0, ',' = 11, 'h' = 71), 256..511
 * the same with "&lt;/w&gt;", then one id per merge (hello&lt;/w&gt; = 515), then start 516 and end 517.
 */
class ClipTokenizerTest {
    static ClipTokenizer tiny() {
        return ClipTokenizer.load(TestResources.torch("bpe_tiny.txt"));
    }

    @Test
    void mergesWordsAndSplitsPunctuation() {
        ClipTokenizer t = tiny();
        assertEquals(516, t.startOfText());
        assertEquals(517, t.endOfText());
        assertEquals(List.of(515, 267, 515, 256), t.encode("  Hello,\n HELLO! "));
        // "he" ends a word: the pair is (h, e</w>), which is not a merge
        assertEquals(List.of(71, 256 + ('e' - '!')), t.encode("he"));
        // contractions are split off; html entities are unescaped
        assertEquals(List.of(71, 256 + ('e' - '!'), 6, 256 + ('s' - '!')), t.encode("he's"));
        assertEquals(List.of(256 + ('&' - '!')), t.encode("&amp;amp;"));
    }

    @Test
    void tokenizePadsToTheContextAndRejectsOverflow() {
        ClipTokenizer t = tiny();
        long[] ids = t.tokenize("hello", 6);
        assertArrayEquals(new long[] {516, 515, 517, 0, 0, 0}, ids);
        assertThrows(IllegalArgumentException.class, () -> t.tokenize("hello hello hello hello hello", 6));
    }

    @Test
    void readsGzipAndRejectsGarbage(@TempDir Path dir) throws IOException {
        Path gz = dir.resolve("bpe.txt.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(Files.readAllBytes(TestResources.torch("bpe_tiny.txt")));
        }
        assertEquals(List.of(515), ClipTokenizer.load(gz).encode("hello"));
        Path bad = Files.writeString(dir.resolve("bad.txt"), "#version\na b c\n");
        CheckpointException e = assertThrows(CheckpointException.class, () -> ClipTokenizer.load(bad));
        assertTrue(e.getMessage().startsWith(bad.toString()), e.getMessage());
    }
}

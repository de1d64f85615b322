package dev.qvgen.models.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

class T5TokenizerParityTest {
    static final Path GOLDEN = Path.of("../shared/fixtures/golden");

    @ParameterizedTest
    @ValueSource(strings = {"wan2.1", "cogvideox-2b", "cogvideox-5b", "cogvideox1.5-5b"})
    void tokenizesTheGoldenPromptToTheReferenceIdsAndMask(String family) throws IOException {
        Path dir = GOLDEN.resolve(family);
        JsonObject settings = JsonParser.parseString(Files.readString(dir.resolve("golden.json"))).getAsJsonObject();
        String prompt = settings.get("prompt").getAsString();
        int max = settings.get("max_sequence_length").getAsInt();
        try (NDManager m = NDManager.newBaseManager();
                SafeTensorsFile g = SafeTensorsFile.open(dir.resolve("golden.safetensors"));
                T5Tokenizer tok = T5Tokenizer.fromPretrained(dir.resolve("pipeline/tokenizer"), max)) {
            T5Tokenizer.Tokens t = tok.encode(prompt);
            assertArrayEquals(g.load("te.input_ids", m).toLongArray(), t.inputIds()[0], family + " ids");
            assertArrayEquals(g.load("te.attention_mask", m).toLongArray(), t.attentionMask()[0], family + " mask");
            assertEquals(g.load("te.input_ids", m).getShape(), t.inputIds(m).getShape());
        }
    }

    @Test
    void padsShortPromptsAndEndsEveryPromptWithEos() {
        try (T5Tokenizer tok = T5Tokenizer.fromPretrained(GOLDEN.resolve("wan2.1/pipeline/tokenizer"), 16)) {
            T5Tokenizer.Tokens t = tok.encode(List.of("a red car", "a red car drives along a coastal road at sunset"));
            long[] ids = t.inputIds()[0];
            int len = t.lengths()[0];
            assertTrue(len > 1 && len < 16, "length " + len);
            assertEquals(1L, ids[len - 1], "</s> closes the prompt");
            for (int i = len; i < 16; i++) {
                assertEquals(0L, ids[i], "pad id at " + i);
                assertEquals(0L, t.attentionMask()[0][i], "mask at " + i);
            }
            assertEquals(16, t.lengths()[1], "the long prompt is truncated to the maximum");
            assertEquals(1L, t.inputIds()[1][15], "truncation keeps </s>");
            // The same short prompt gives the same ids in a batch and alone.
            assertArrayEquals(ids, tok.encode("a red car").inputIds()[0]);
        }
    }

    @Test
    void missingTokenizerFileIsAClearError() {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> T5Tokenizer.fromPretrained(GOLDEN.resolve("wan2.1/pipeline/scheduler"), 16));
        assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
    }
}

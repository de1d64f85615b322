package dev.qvgen.models.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.qvgen.layers.io.CheckpointException;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A tokenizer directory holding only {@code spiece.model} (as published CogVideoX checkpoints ship it)
 * tokenizes exactly as transformers does. The fixture under {@code resources/spm} is made by
 * {@code make_fixture.py}: a tiny T5-layout Unigram model trained on the VBench prompts, and per prompt
 * the ids of SentencePiece itself (the slow T5 tokenizer's path) and of transformers' converted fast
 * tokenizer, max_length 32.
 */
class SentencePieceTokenizerTest {

    static Path root;
    static Path tokDir;
    static JsonObject expected;

    @BeforeAll
    static void load() throws IOException, URISyntaxException {
        root = Path.of(SentencePieceTokenizerTest.class.getResource("/spm/expected_ids.json").toURI()).getParent();
        tokDir = root.resolve("tokenizer");
        expected = JsonParser.parseString(Files.readString(root.resolve("expected_ids.json"), StandardCharsets.UTF_8))
                .getAsJsonObject();
    }

    private static long[] longs(JsonArray a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsLong();
        }
        return out;
    }

    /**
     * Every id list of the fixture: transformers' AutoTokenizer on the directory ("fast"), its T5Converter
     * output ("conv"), and SentencePiece itself ("slow") for the prompts without literal special tokens
     * (plain SentencePiece does not know added tokens; there the fast lists are the reference).
     */
    @Test
    void reproducesEveryReferenceIdListExactly() {
        int max = expected.get("max_length").getAsInt();
        JsonArray cases = expected.getAsJsonArray("cases");
        assertTrue(cases.size() >= 20, "fixture has " + cases.size() + " prompts");
        int[] checked = new int[3];
        List<String> failures = new ArrayList<>();
        try (T5Tokenizer tok = T5Tokenizer.fromPretrained(tokDir, max)) {
            for (var e : cases) {
                JsonObject c = e.getAsJsonObject();
                String prompt = c.get("prompt").getAsString();
                T5Tokenizer.Tokens t = tok.encode(prompt);
                long[] ids = t.inputIds()[0];
                long[] mask = t.attentionMask()[0];
                String[] refs = {"fast", "conv", "slow"};
                for (int r = 0; r < refs.length; r++) {
                    if (!c.has(refs[r] + "_input_ids")
                            || r == 2 && c.get("special_literal").getAsBoolean()) {
                        continue;
                    }
                    checked[r]++;
                    if (!Arrays.equals(longs(c.getAsJsonArray(refs[r] + "_input_ids")), ids)
                            || !Arrays.equals(longs(c.getAsJsonArray(refs[r] + "_attention_mask")), mask)) {
                        failures.add(refs[r] + " " + prompt + ": got " + Arrays.toString(ids) + " mask "
                                + Arrays.toString(mask));
                    }
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
        assertEquals(cases.size(), checked[0], "fast reference lists");
        assertEquals(cases.size(), checked[1], "T5Converter reference lists");
        assertTrue(checked[2] >= 20, "only " + checked[2] + " slow reference lists");
    }

    @Test
    void batchEncodingMatchesSingleEncoding() {
        List<String> prompts = new ArrayList<>();
        for (var e : expected.getAsJsonArray("cases")) {
            prompts.add(e.getAsJsonObject().get("prompt").getAsString());
        }
        try (T5Tokenizer tok = T5Tokenizer.fromPretrained(tokDir, 32)) {
            T5Tokenizer.Tokens batch = tok.encode(prompts);
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(tok.encode(prompts.get(i)).inputIds()[0], batch.inputIds()[i], prompts.get(i));
            }
        }
    }

    @Test
    void readsTheModelProto() {
        SentencePieceModel m = SentencePieceModel.read(tokDir.resolve("spiece.model"));
        assertEquals(expected.get("piece_count").getAsInt(), m.pieces().size());
        assertEquals(SentencePieceModel.UNIGRAM, m.modelType());
        assertEquals(2, m.unkId());
        assertEquals(new SentencePieceModel.Piece("<pad>", 0f, SentencePieceModel.CONTROL), m.pieces().get(0));
        assertEquals(new SentencePieceModel.Piece("</s>", 0f, SentencePieceModel.CONTROL), m.pieces().get(1));
        assertEquals(SentencePieceModel.UNKNOWN, m.pieces().get(2).type());
        assertEquals("nmt_nfkc", m.normalizerName());
        assertTrue(m.precompiledCharsmap().length > 1000, "nmt_nfkc ships a compiled charsmap");
        assertTrue(m.addDummyPrefix() && m.removeExtraWhitespaces() && m.escapeWhitespaces());
        assertFalse(m.byteFallback());
        for (int i = 3; i < m.pieces().size(); i++) {
            assertEquals(SentencePieceModel.NORMAL, m.pieces().get(i).type(), m.pieces().get(i).piece());
            assertTrue(m.pieces().get(i).score() < 0f, "unigram log-probabilities are negative");
        }
    }

    @Test
    void sentinelTokensFollowTheVocabularyInReverse() {
        // T5: <extra_id_0> is the last id, <extra_id_99> the first after the pieces.
        int n = expected.get("piece_count").getAsInt();
        try (T5Tokenizer tok = T5Tokenizer.fromPretrained(tokDir, 8)) {
            long[] ids = tok.encode("<extra_id_0><extra_id_99>").inputIds()[0];
            assertEquals(n + 99, ids[0]);
            assertEquals(n, ids[1]);
            assertEquals(1, ids[2]);
        }
    }

    @Test
    void tokenizerJsonWinsOverSpieceModel(@TempDir Path tmp) throws IOException {
        Path golden = T5TokenizerParityTest.GOLDEN.resolve("cogvideox-2b/pipeline/tokenizer");
        Files.copy(golden.resolve("tokenizer.json"), tmp.resolve("tokenizer.json"));
        Files.copy(tokDir.resolve("spiece.model"), tmp.resolve("spiece.model"));
        String prompt = "a red car drives along a coastal road at sunset";
        try (T5Tokenizer both = T5Tokenizer.fromPretrained(tmp, 32);
                T5Tokenizer json = T5Tokenizer.fromPretrained(golden, 32);
                T5Tokenizer spm = T5Tokenizer.fromPretrained(tokDir, 32)) {
            long[] ids = both.encode(prompt).inputIds()[0];
            assertArrayEquals(json.encode(prompt).inputIds()[0], ids);
            assertFalse(Arrays.equals(spm.encode(prompt).inputIds()[0], ids),
                    "the two vocabularies must differ for this check to mean anything");
        }
    }

    @Test
    void spieceModelFileCanBeGivenDirectly() {
        try (T5Tokenizer a = T5Tokenizer.fromPretrained(tokDir.resolve("spiece.model"), 32);
                T5Tokenizer b = T5Tokenizer.fromPretrained(tokDir, 32)) {
            assertArrayEquals(b.encode("a panda").inputIds()[0], a.encode("a panda").inputIds()[0]);
        }
    }

    @Test
    void directoryWithoutEitherFileNamesBoth(@TempDir Path tmp) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> T5Tokenizer.fromPretrained(tmp, 8));
        assertTrue(e.getMessage().contains(tmp.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("spiece.model"),
                e.getMessage());
    }

    @Test
    void corruptSpieceModelIsAClearError(@TempDir Path tmp) throws IOException {
        Files.write(tmp.resolve("spiece.model"), new byte[] {0x0a, 0x7f, 0x01});
        CheckpointException e = assertThrows(CheckpointException.class, () -> T5Tokenizer.fromPretrained(tmp, 8));
        assertTrue(e.getMessage().startsWith(tmp.resolve("spiece.model").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("not a SentencePiece model"), e.getMessage());
    }
}

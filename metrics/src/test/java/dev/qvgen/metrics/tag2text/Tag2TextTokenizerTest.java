package dev.qvgen.metrics.tag2text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokenizer and tag list against what the reference's BertTokenizer made for the toy fixture. */
class Tag2TextTokenizerTest {
    static Path resource(String name) throws Exception {
        return SwinTransformerParityTest.resource(name);
    }

    static JsonObject json(String name) throws Exception {
        return JsonParser.parseString(Files.readString(resource(name))).getAsJsonObject();
    }

    static long[] row(NDArray a, int r) {
        long[] all = a.toType(DataType.INT64, false).toLongArray();
        int w = (int) a.getShape().get(1);
        long[] out = new long[w];
        System.arraycopy(all, r * w, out, 0, w);
        return out;
    }

    static Tag2TextTokenizer toyTokenizer() throws Exception {
        return Tag2TextTokenizer.load(resource("tokenizer.json"),
                json("config.json").getAsJsonObject("med").get("vocab_size").getAsLong());
    }

    @Test
    void tagTextPromptAndCaptionsMatchTheReferenceTokenizer() throws Exception {
        JsonObject cfg = json("config.json");
        JsonObject caps = json("captions.json");
        try (Tag2TextTokenizer tok = toyTokenizer(); NDManager m = NDManager.newBaseManager();
                SafeTensorsFile g = SafeTensorsFile.open(resource("golden.safetensors"))) {
            assertEquals(cfg.get("bos_token_id").getAsLong(), tok.decId());
            assertEquals(cfg.get("enc_token_id").getAsLong(), tok.encId());
            assertEquals(cfg.get("sep_token_id").getAsLong(), tok.sepId());
            assertEquals(cfg.get("pad_token_id").getAsLong(), tok.padId());
            NDArray ids = g.load("tag.encoder_ids", m);
            NDArray mask = g.load("tag.encoder_mask", m);
            for (int image = 0; image < 2; image++) {
                Tag2TextTokenizer.Encoded e = tok.tags(caps.getAsJsonArray("tags").get(image).getAsString());
                // three beams per image carry the same tag text
                assertArrayEquals(row(ids, 3 * image), e.ids(), "image " + image);
                assertArrayEquals(row(mask, 3 * image), e.mask(), "image " + image);
            }
            assertArrayEquals(row(g.load("caption.prompt_ids", m), 0), tok.prompt(cfg.get("prompt").getAsString()));
            String prompt = cfg.get("prompt").getAsString();
            NDArray seqs = g.load("caption.ids", m);
            for (int image = 0; image < 2; image++) {
                String decoded = tok.decode(row(seqs, image));
                assertEquals(caps.getAsJsonArray("captions").get(image).getAsString(), decoded.substring(prompt.length()));
            }
        }
    }

    @Test
    void longTagTextIsTruncatedToFortyTokensEndingWithSep() throws Exception {
        try (Tag2TextTokenizer tok = toyTokenizer()) {
            Tag2TextTokenizer.Encoded e = tok.tags("red | ".repeat(30) + "blue");
            assertEquals(Tag2TextTokenizer.TAG_TOKENS, e.ids().length);
            assertEquals(tok.encId(), e.ids()[0]);
            assertEquals(tok.sepId(), e.ids()[39]);
            assertTrue(java.util.Arrays.stream(e.mask()).allMatch(v -> v == 1));
            Tag2TextTokenizer.Encoded empty = tok.tags("");
            assertArrayEquals(new long[] {tok.encId(), tok.sepId(), tok.padId()},
                    java.util.Arrays.copyOf(empty.ids(), 3));
            assertEquals(2, java.util.Arrays.stream(empty.mask()).sum());
        }
    }

    @Test
    void tagListReadsTextFilesAndVbenchsPythonList(@TempDir Path dir) throws Exception {
        TagList toy = TagList.load(resource("tag_list.txt"));
        assertEquals(json("config.json").get("num_class").getAsInt(), toy.size());
        Path py = dir.resolve("tag_class.py");
        Files.writeString(py, "import numpy as np\n\n\ntra_array = ['tennis',\n'bear cub',\n\"it's\",\n'a \\'b\\'']\n"
                + "tra_array = np.array(tra_array)\n");
        TagList fromPy = TagList.load(py);
        assertEquals(List.of("tennis", "bear cub", "it's", "a 'b'"),
                List.of(fromPy.name(0), fromPy.name(1), fromPy.name(2), fromPy.name(3)));
        CheckpointException missing = assertThrows(CheckpointException.class, () -> TagList.load(dir.resolve("x.txt")));
        assertTrue(missing.getMessage().contains("x.txt"), missing.getMessage());
        Files.writeString(dir.resolve("empty.txt"), "\n\n");
        assertThrows(CheckpointException.class, () -> TagList.load(dir.resolve("empty.txt")));
        CheckpointException noTok = assertThrows(CheckpointException.class,
                () -> Tag2TextTokenizer.load(dir.resolve("tokenizer.json"), 10));
        assertTrue(noTok.getMessage().contains("tokenizer.json"), noTok.getMessage());
    }

    @Test
    void aTokenizerThatDoesNotFitTheDecoderIsRefusedNamingTheFile(@TempDir Path dir) throws Exception {
        // the toy vocabulary (110 tokens) against the published decoder (30524 rows)
        CheckpointException size = assertThrows(CheckpointException.class,
                () -> Tag2TextTokenizer.load(resource("tokenizer.json"), 30524));
        assertTrue(size.getMessage().contains("tokenizer.json") && size.getMessage().contains("110 tokens"),
                size.getMessage());
        // a vocabulary without BERT's special tokens
        String json = Files.readString(resource("tokenizer.json")).replace("\"[CLS]\"", "\"[XLS]\"");
        Path noCls = Files.writeString(dir.resolve("no_cls.json"), json);
        CheckpointException cls = assertThrows(CheckpointException.class, () -> Tag2TextTokenizer.load(noCls, 112));
        assertTrue(cls.getMessage().contains("no_cls.json") && cls.getMessage().contains("[CLS]"), cls.getMessage());
        Path garbage = Files.writeString(dir.resolve("garbage.json"), "{\"model\": 3}");
        CheckpointException bad = assertThrows(CheckpointException.class, () -> Tag2TextTokenizer.load(garbage, 112));
        assertTrue(bad.getMessage().startsWith(garbage.toString()), bad.getMessage());
    }
}

package dev.qvgen.metrics.tag2text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole captioner against the toy fixture: from the reference's preprocessed images to the
 * tag texts Tag2Text_Caption.generate builds and the captions of transformers 4.33.2's beam
 * search (resources/tag2text/make_fixture.py; the fixture also records that transformers
 * 4.57's generate() gives the same captions).
 */
public class Tag2TextParityTest {
    /** A file of the toy fixture (resources/tag2text). */
    public static Path resource(String name) {
        return MedBertParityTest.resource(name);
    }

    public static Tag2Text.Config toyConfig() throws Exception {
        JsonObject cfg = MedBertParityTest.config();
        int[] deleted = new int[cfg.getAsJsonArray("delete_tag_index").size()];
        for (int i = 0; i < deleted.length; i++) {
            deleted[i] = cfg.getAsJsonArray("delete_tag_index").get(i).getAsInt();
        }
        return new Tag2Text.Config(SwinTransformerParityTest.toyConfig(),
                MedBertParityTest.bert(cfg, "q2l", "encoder_width"),
                MedBertParityTest.bert(cfg, "med", "tag_encoder_width"),
                MedBertParityTest.bert(cfg, "med", "decoder_encoder_width"), cfg.get("num_class").getAsInt(),
                cfg.get("threshold").getAsFloat(), cfg.get("prompt").getAsString(), cfg.get("num_beams").getAsInt(),
                cfg.get("max_length").getAsInt(), cfg.get("min_length").getAsInt(), deleted);
    }

    static Tag2Text toy(NDManager m) throws Exception {
        return Tag2Text.load(MedBertParityTest.resource("tag2text_toy.pth"), MedBertParityTest.resource("tag_list.txt"),
                MedBertParityTest.resource("tokenizer.json"), toyConfig(), m);
    }

    @Test
    void tagsAndCaptionsMatchTheReference() throws Exception {
        JsonObject expected = Tag2TextTokenizerTest.json("captions.json");
        JsonArray tags = expected.getAsJsonArray("tags");
        JsonArray captions = expected.getAsJsonArray("captions");
        try (NDManager m = NDManager.newBaseManager();
                SafeTensorsFile g = SafeTensorsFile.open(MedBertParityTest.resource("golden.safetensors"))) {
            Tag2Text model = toy(m);
            List<Tag2Text.Caption> out = model.caption(g.load("image", m));
            assertEquals(2, out.size());
            for (int b = 0; b < 2; b++) {
                assertEquals(tags.get(b).getAsString(), out.get(b).tags(), "tags of image " + b);
                assertEquals(captions.get(b).getAsString(), out.get(b).caption(), "caption of image " + b);
            }
            // the Captioner view gives the same captions from flat planes
            float[] planes = g.load("image", m).toFloatArray();
            assertEquals(List.of(out.get(0).caption(), out.get(1).caption()), model.captions(planes, 2, 384));
        }
    }

    @Test
    void captioningLeavesNoArraysOnTheModelsManager() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); NDManager inputs = NDManager.newBaseManager();
                SafeTensorsFile g = SafeTensorsFile.open(MedBertParityTest.resource("golden.safetensors"))) {
            Tag2Text model = toy(m);
            var image = g.load("image", inputs);
            model.caption(image); // first call: anything cached once per model is made here
            int after1 = m.getManagedArrays().size();
            model.caption(image);
            model.caption(image);
            assertEquals(after1, m.getManagedArrays().size(), "arrays left behind per caption() call");
            assertTrue(!image.isReleased(), "the caller's images are left open");
        }
    }

    @Test
    void decoderRowsReadTheTagEncodingsVbenchsCallPairsThemWith() {
        // 2 images x 3 beams: repeat_interleave(3) of 6 per-beam rows, cut to 6 -> rows 0,0,0,1,1,1,
        // i.e. both images read image 0's tags (per-beam rows 0 and 1 are image 0's)
        assertArrayEquals(new long[] {0, 0, 0, 1, 1, 1}, Tag2Text.pairedRows(2, 3));
        long[] sixteen = Tag2Text.pairedRows(16, 3);
        assertEquals(15, sixteen[47]);
        // per-beam row 15 belongs to image 5: the last frame captions with the tags of frame 15 / 3
        assertEquals(5, sixteen[47] / 3);
    }

    @Test
    void aTagListOfTheWrongLengthIsRefusedNamingTheFile(@TempDir Path dir) throws Exception {
        Path tags = dir.resolve("tags.txt");
        Files.writeString(tags, "a\nb\nc\n");
        try (NDManager m = NDManager.newBaseManager()) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> Tag2Text.load(
                    MedBertParityTest.resource("tag2text_toy.pth"), tags, MedBertParityTest.resource("tokenizer.json"),
                    toyConfig(), m));
            assertTrue(e.getMessage().contains("tags.txt") && e.getMessage().contains("3 tag names"), e.getMessage());
        }
    }
}

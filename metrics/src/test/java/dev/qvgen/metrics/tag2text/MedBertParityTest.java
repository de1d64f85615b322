package dev.qvgen.metrics.tag2text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.qvgen.layers.weights.TorchPickle;
import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.RenamedWeights;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.io.SafeTensorsWriter;
import dev.qvgen.layers.nn.Tensors;
import dev.qvgen.models.zoo.ModelRegistry;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tag2Text's BERT parts against VBench's med.py and tag2text.py on a toy-width Tag2Text
 * (resources/tag2text/make_fixture.py): the tag logits, the tag encoder's states and the text
 * decoder's logits, rel L2 < 1e-4; plus checks on random weights that need no fixture.
 */
class MedBertParityTest {
    static final double TOL = 1e-4;
    static final String PTH = "tag2text_toy.pth";

    static Path resource(String name) {
        try {
            return Path.of(MedBertParityTest.class.getResource("/tag2text/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource /tag2text/" + name, e);
        }
    }

    static JsonObject config() throws Exception {
        return JsonParser.parseString(Files.readString(resource("config.json"))).getAsJsonObject();
    }

    /** A med.py config block; the encoder width is in the block or, for med, beside it. */
    static BertConfig bert(JsonObject root, String block, String widthKey) {
        JsonObject c = root.getAsJsonObject(block);
        int width = (c.has(widthKey) ? c : root).get(widthKey).getAsInt();
        return new BertConfig(c.get("hidden_size").getAsInt(), c.get("num_hidden_layers").getAsInt(),
                c.get("num_attention_heads").getAsInt(), c.get("intermediate_size").getAsInt(),
                c.get("vocab_size").getAsInt(), c.get("max_position_embeddings").getAsInt(),
                c.get("layer_norm_eps").getAsFloat(), width);
    }

    static void assertClose(NDArray ours, NDArray ref, String what) {
        double e = Tensors.relativeL2(ours, ref);
        System.out.printf("tag2text %s rel_l2 %.3e%n", what, e);
        assertTrue(e < TOL, what + " rel_l2 " + e);
    }

    @Test
    void tagLogitsMatchTheReference() throws Exception {
        JsonObject cfg = config();
        try (NDManager m = NDManager.newBaseManager(); TorchPickle pth = TorchPickle.open(resource(PTH));
             SafeTensorsFile golden = SafeTensorsFile.open(resource("golden.safetensors"))) {
            TagHead head = TagHead.load(pth, "model.", bert(cfg, "q2l", "encoder_width"),
                    cfg.get("num_class").getAsInt(), m);
            assertClose(head.logits(golden.load("vision.out", m)), golden.load("tag.logits", m), "tag logits");
        }
    }

    @Test
    void tagEncoderMatchesTheReference() throws Exception {
        JsonObject cfg = config();
        try (NDManager m = NDManager.newBaseManager(); TorchPickle pth = TorchPickle.open(resource(PTH));
             SafeTensorsFile golden = SafeTensorsFile.open(resource("golden.safetensors"))) {
            MedBertModel encoder = MedBertModel.load(pth, "model.tag_encoder.", bert(cfg, "med", "tag_encoder_width"),
                    m);
            NDArray out = encoder.encode(golden.load("tag.encoder_ids", m), golden.load("tag.encoder_mask", m),
                    golden.load("tag.encoder_image", m));
            assertClose(out, golden.load("tag.encoder_out", m), "tag encoder");
        }
    }

    @Test
    void paddedTagsEncodeAsTheUnpaddedPrefix() throws Exception {
        // the fixture's tag lists fill all 40 tokens, so its mask is all ones; padding is checked
        // here instead: a -10000 key contributes exp(-10000) = 0, as if the key were absent
        JsonObject cfg = config();
        try (NDManager m = NDManager.newBaseManager(); TorchPickle pth = TorchPickle.open(resource(PTH));
             SafeTensorsFile golden = SafeTensorsFile.open(resource("golden.safetensors"))) {
            MedBertModel encoder = MedBertModel.load(pth, "model.tag_encoder.", bert(cfg, "med", "tag_encoder_width"),
                    m);
            NDArray ids = golden.load("tag.encoder_ids", m).get("0:2");
            NDArray image = golden.load("tag.encoder_image", m).get("0:2");
            int keep = 23;
            float[] mask = new float[2 * 40];
            for (int r = 0; r < 2; r++) {
                Arrays.fill(mask, r * 40, r * 40 + keep, 1f);
            }
            NDArray padded = encoder.encode(ids, m.create(mask, new Shape(2, 40)), image).get(":, 0:" + keep);
            NDArray prefix = encoder.encode(ids.get(":, 0:" + keep), null, image);
            double e = Tensors.relativeL2(padded, prefix);
            assertTrue(e < 1e-6, "padded vs prefix rel_l2 " + e);
            NDArray unmasked = encoder.encode(ids, null, image).get(":, 0:" + keep);
            assertTrue(Tensors.relativeL2(unmasked, prefix) > 1e-3, "the mask changes what the prefix sees");
        }
    }

    @Test
    void decoderLogitsMatchTheReference() throws Exception {
        JsonObject cfg = config();
        try (NDManager m = NDManager.newBaseManager(); TorchPickle pth = TorchPickle.open(resource(PTH));
             SafeTensorsFile golden = SafeTensorsFile.open(resource("golden.safetensors"))) {
            MedLmHeadModel decoder = MedLmHeadModel.load(pth, "model.text_decoder.",
                    bert(cfg, "med", "decoder_encoder_width"), m);
            NDArray logits = decoder.logits(golden.load("decoder.input_ids", m), golden.load("tag.encoder_out", m));
            assertClose(logits, golden.load("decoder.logits", m), "decoder logits");
        }
    }

    @Test
    void aMissingTensorIsNamedWithItsFile() throws Exception {
        JsonObject cfg = config();
        String dropped = "model.tag_encoder.encoder.layer.1.crossattention.self.key.weight";
        try (NDManager m = NDManager.newBaseManager(); TorchPickle pth = TorchPickle.open(resource(PTH))) {
            Map<String, String> kept = new TreeMap<>();
            pth.names().forEach(n -> kept.put(n, n));
            assertTrue(kept.remove(dropped) != null, "the fixture has " + dropped);
            RenamedWeights without = new RenamedWeights(pth, kept);
            CheckpointException e = assertThrows(CheckpointException.class, () -> MedBertModel.load(without,
                    "model.tag_encoder.", bert(cfg, "med", "tag_encoder_width"), m));
            assertTrue(e.getMessage().contains(dropped) && e.getMessage().contains(PTH), e.getMessage());
            // the published 12-layer width-768 encoder does not fit the toy tensors
            CheckpointException shape = assertThrows(CheckpointException.class, () -> MedBertModel.load(pth,
                    "model.tag_encoder.", BertConfig.tagEncoder(), m));
            assertTrue(shape.getMessage().contains("model.tag_encoder."), shape.getMessage());
        }
    }

    // ---- no fixture needed: random weights ----

    static final BertConfig SMALL = new BertConfig(16, 2, 4, 32, 50, 20, 1e-12f, 12);

    @Test
    void theDecoderIsCausal() {
        try (NDManager m = NDManager.newBaseManager()) {
            MedLmHeadModel decoder = new MedLmHeadModel(SMALL);
            ModelRegistry.randomInit(decoder, m, 7);
            NDArray states = m.randomNormal(new Shape(2, 5, 12));
            long[] ids = {1, 7, 9, 3, 22, 4, 1, 30, 2, 8, 11, 5};
            long[] changed = ids.clone();
            changed[5] = 40;
            changed[11] = 41;
            float[] a = decoder.logits(m.create(ids, new Shape(2, 6)), states).toFloatArray();
            float[] b = decoder.logits(m.create(changed, new Shape(2, 6)), states).toFloatArray();
            int vocab = SMALL.vocabSize();
            double earlier = 0;
            double last = 0;
            for (int row = 0; row < 2; row++) {
                for (int t = 0; t < 6; t++) {
                    for (int v = 0; v < vocab; v++) {
                        int i = (row * 6 + t) * vocab + v;
                        double d = Math.abs(a[i] - b[i]);
                        if (t < 5) {
                            earlier = Math.max(earlier, d);
                        } else {
                            last = Math.max(last, d);
                        }
                    }
                }
            }
            assertEquals(0.0, earlier, 1e-6, "a later token changed earlier positions' logits");
            assertTrue(last > 1e-3, "the changed token changes its own position's logits: " + last);
        }
    }

    @Test
    void masksAreMedPysExtendedMasks() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.zeros(new Shape(1, 3, 4));
            NDArray pad = m.create(new long[] {1, 1, 0}, new Shape(1, 3));
            assertArrayEquals(new float[] {0, 0, -10000}, MedBertModel.selfMask(pad, x, false).toFloatArray());
            assertArrayEquals(new float[] {0, -10000, -10000, 0, 0, -10000, 0, 0, -10000},
                    MedBertModel.selfMask(pad, x, true).toFloatArray());
            assertEquals(null, MedBertModel.selfMask(null, x, false));
        }
    }

    @Test
    void aLargerEncoderBatchIsCutToTheQueryBatchAsMedPyDoes() {
        try (NDManager m = NDManager.newBaseManager()) {
            MedLmHeadModel decoder = new MedLmHeadModel(SMALL);
            ModelRegistry.randomInit(decoder, m, 3);
            NDArray ids = m.create(new long[] {1, 7, 9, 3}, new Shape(2, 2));
            NDArray states = m.randomNormal(new Shape(2, 5, 12));
            NDArray extra = m.randomNormal(new Shape(3, 5, 12));
            NDArray wide = NDArrays.concat(new NDList(states, extra));
            assertArrayEquals(decoder.logits(ids, states).toFloatArray(), decoder.logits(ids, wide).toFloatArray());
        }
    }

    @Test
    void visionMultiRunsOnlyInMlrModeAndLoadsWithoutItsDeletedParts(@TempDir Path dir) throws Exception {
        BertConfig q2l = new BertConfig(16, 2, 4, 32, 50, 20, 1e-12f, 12);
        try (NDManager m = NDManager.newBaseManager()) {
            TagHead head = new TagHead(q2l, 9);
            ModelRegistry.randomInit(head, m, 5);
            // randomInit fills only weight-named tensors; GroupWiseLinear's W and b would stay 0
            head.namedParameters().get("fc.W").getArray().set(new NDIndex("..."), m.randomNormal(new Shape(1, 9, 16)));
            head.namedParameters().get("fc.b").getArray().set(new NDIndex("..."), m.randomNormal(new Shape(1, 9)));
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            head.namedParameters().forEach((k, p) -> tensors.put("model." + k, p.getArray()));
            // a checkpoint may still hold what del_selfattention removed; it is not read
            tensors.put("model.vision_multi.encoder.layer.0.attention.self.query.weight", m.zeros(new Shape(16, 16)));
            Path file = dir.resolve("head.safetensors");
            SafeTensorsWriter.write(file, tensors, Map.of());
            NDArray image = m.randomNormal(new Shape(2, 5, 12));
            try (SafeTensorsFile src = SafeTensorsFile.open(file)) {
                TagHead loaded = TagHead.load(src, "model.", q2l, 9, m);
                NDArray logits = loaded.logits(image);
                assertEquals(new Shape(2, 9), logits.getShape());
                assertArrayEquals(head.logits(image).toFloatArray(), logits.toFloatArray());
            }
            MedBertModel visionMulti = MedBertModel.mlrOnly(q2l);
            assertThrows(IllegalStateException.class, () -> visionMulti.forward(m.create(new long[] {1}, new Shape(1,
                    1)), null, image, MedBertModel.Mode.MULTIMODAL, false));
            assertTrue(visionMulti.namedParameters().keySet().stream().noneMatch(n -> n.contains(".attention.")
                    || n.startsWith("embeddings.")));
        }
    }

    @Test
    void publishedConfigsAreMedAndQ2l() {
        BertConfig enc = BertConfig.tagEncoder();
        assertEquals(12, enc.layers());
        assertEquals(64, enc.headDim());
        assertEquals(1024, enc.encoderWidth());
        assertEquals(768, BertConfig.decoder().encoderWidth());
        assertEquals(30524, BertConfig.decoder().vocabSize());
        assertEquals(2, BertConfig.q2l().layers());
        assertEquals(4, BertConfig.q2l().heads());
        assertThrows(IllegalArgumentException.class, () -> new BertConfig(10, 1, 4, 8, 5, 5, 1e-12f, 10));
        assertEquals(12, new MedLmHeadModel(BertConfig.decoder()).namedParameters().keySet().stream()
                .filter(n -> n.endsWith(".crossattention.self.key.weight")).count());
    }
}

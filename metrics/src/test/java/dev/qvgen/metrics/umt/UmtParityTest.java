package dev.qvgen.metrics.umt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.nn.Tensors;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/**
 * The UMT classifier against VBench's own modeling_finetune.py on a toy-width instance
 * (resources/umt/make_fixture.py): the position table stretched from 8 to 16 frames, the pooled
 * features and the logits of two procedural 16-frame 224 x 224 clips.
 */
class UmtParityTest {
    static final UmtVisionTransformer.Config TOY = new UmtVisionTransformer.Config(16, 32, 2, 2, 128, 10, 1e-6f, 16);

    static Path resource(String name) throws Exception {
        return Path.of(UmtParityTest.class.getResource("/umt/" + name).toURI());
    }

    /** make_fixture.py's clip: sin(0.37 (c + 1) + 0.11 t + 0.05 h - 0.031 w + 0.5 b) in float64, then float32. */
    static float[] clip(int batch) {
        float[] out = new float[batch * 3 * 16 * 224 * 224];
        int i = 0;
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < 3; c++) {
                for (int t = 0; t < 16; t++) {
                    for (int h = 0; h < 224; h++) {
                        for (int w = 0; w < 224; w++) {
                            out[i++] = (float) Math.sin(0.37 * (c + 1) + 0.11 * t + 0.05 * h - 0.031 * w + 0.5 * b);
                        }
                    }
                }
            }
        }
        return out;
    }

    @Test
    void positionTableMatchesTheReference() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); SafeTensorsFile golden = SafeTensorsFile.open(resource(
                "golden.safetensors"))) {
            NDArray ref = golden.load("pos_embed", m);
            NDArray ours = m.create(UmtPositions.table(16, UmtPositions.PRE_PATCHES, 32), new Shape(16 * 196, 32));
            double e = Tensors.relativeL2(ours, ref);
            assertTrue(e < 1e-6, "pos_embed rel_l2 " + e);
            // 8 frames is the grid the table was made for: no interpolation, rows are the base table
            float[] eight = UmtPositions.table(8, UmtPositions.PRE_PATCHES, 32);
            assertEquals(8 * 196 * 32, eight.length);
            assertEquals(Math.sin(1.0), eight[32], 1e-7); // position 1, column 0: sin(1 / 10000^0)
        }
    }

    @Test
    void featuresAndLogitsMatchTheReference() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); SafeTensorsFile golden = SafeTensorsFile.open(resource(
                "golden.safetensors"))) {
            UmtVisionTransformer model = UmtVisionTransformer.load(resource("umt_toy.pth"), TOY, m);
            NDArray x = m.create(clip(2), new Shape(2, 3, 16, 224, 224));
            NDArray features = model.features(x);
            double ef = Tensors.relativeL2(features, golden.load("features", m));
            double el = Tensors.relativeL2(model.forward(x), golden.load("logits", m));
            assertTrue(ef < 1e-4, "features rel_l2 " + ef);
            assertTrue(el < 1e-4, "logits rel_l2 " + el);
        }
    }

    @Test
    void aCheckpointsOwnPositionTableIsUsedInsteadOfTheFixedOne() throws Exception {
        // the published classifier stores its (trained) 16-frame pos_embed: that table must be used
        try (NDManager m = NDManager.newBaseManager(); SafeTensorsFile golden = SafeTensorsFile.open(resource(
                "golden.safetensors"))) {
            UmtVisionTransformer model = UmtVisionTransformer.load(resource("umt_toy.pth"), TOY, m);
            NDArray x = m.create(clip(1), new Shape(1, 3, 16, 224, 224));
            float[] fixed = model.forward(x).toFloatArray();
            float[] table = golden.load("pos_embed", m).toFloatArray();
            model.usePositions(table);
            float[] same = model.forward(x).toFloatArray();
            for (int i = 0; i < table.length; i++) {
                table[i] *= 1.5f;
            }
            model.usePositions(table);
            float[] scaled = model.forward(x).toFloatArray();
            double sameDiff = 0;
            double scaledDiff = 0;
            for (int i = 0; i < fixed.length; i++) {
                sameDiff = Math.max(sameDiff, Math.abs(same[i] - fixed[i]));
                scaledDiff = Math.max(scaledDiff, Math.abs(scaled[i] - fixed[i]));
            }
            assertTrue(sameDiff < 1e-4, "the reference's own table gives the same logits: " + sameDiff);
            assertTrue(scaledDiff > 1e-2, "a different stored table changes the logits: " + scaledDiff);
            assertThrows(IllegalArgumentException.class, () -> model.usePositions(new float[10]));
        }
    }

    @Test
    void otherFrameSizesAndWrongCheckpointsAreRefused() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> UmtPositions.table(16, 100, 32));
        try (NDManager m = NDManager.newBaseManager()) {
            // the toy file lacks the 24 blocks and 1024 widths of the published classifier
            CheckpointException e = assertThrows(CheckpointException.class, () -> UmtVisionTransformer.load(
                    resource("umt_toy.pth"), UmtVisionTransformer.Config.large400(), m));
            assertTrue(e.getMessage().contains("umt_toy.pth"), e.getMessage());
        }
    }
}

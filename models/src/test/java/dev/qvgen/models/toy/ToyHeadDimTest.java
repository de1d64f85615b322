package dev.qvgen.models.toy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.models.wan.WanConfig;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

/**
 * A toy of fewer, wider heads (`toy train --head-dim`): the width is heads x head dim, and the head dim survives
 * a save and load, so a checkpoint trained that way generates the same sample when read back.
 */
class ToyHeadDimTest {
    @Test
    void twoHeadsOf32RoundTripThroughACheckpoint(@TempDir Path dir) throws Exception {
        WanConfig wc = ToyVideoModel.transformerConfig(32, 2, 32, 2, new int[] {2, 4, 4});
        assertEquals(64, wc.innerDim());
        assertEquals(32, wc.attentionHeadDim());
        assertEquals(192, wc.ffnDim());
        try (NDManager m = NDManager.newBaseManager()) {
            ToyVideoModel model = ToyVideoModel.random(new ToyTextEncoderConfig(20, 16, 32), wc, m, 3);
            // the zero-initialised output projection would make every forward 0; give it weights
            m.getEngine().setRandomSeed(2);
            model.transformer().namedParameters().get("proj_out.weight").getArray()
                    .addi(m.randomNormal(model.transformer().namedParameters().get("proj_out.weight").getArray().getShape()));
            model.save(dir.resolve("toy"), Map.of());
            ToyVideoModel back = ToyVideoModel.load(dir.resolve("toy"), m);
            assertEquals(32, back.transformer().config().attentionHeadDim());
            assertEquals(2, back.transformer().config().numAttentionHeads());
            long[] ids = new long[16];
            ids[0] = 2;
            ids[1] = 7;
            m.getEngine().setRandomSeed(0);
            var x = m.randomNormal(new Shape(1, 3, 8, 32, 32));
            var t = m.create(new float[] {700f});
            float[] a = model.transformer().forward(x, t, model.textEncoder().forward(m.create(ids, new Shape(1, 16))))
                    .toFloatArray();
            float[] b = back.transformer().forward(x, t, back.textEncoder().forward(m.create(ids, new Shape(1, 16))))
                    .toFloatArray();
            assertArrayEquals(a, b, 0f);
        }
    }
}

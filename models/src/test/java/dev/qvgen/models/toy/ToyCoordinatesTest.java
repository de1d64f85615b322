package dev.qvgen.models.toy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.models.wan.WanConfig;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

/**
 * `toy train --coordinates`: the transformer takes frame, row and column planes beside the pixels (in_channels 6,
 * out 3), which survive a checkpoint; a toy without them takes its pixels unchanged.
 */
class ToyCoordinatesTest {
    private static final int[] PATCH = {2, 4, 4};

    @Test
    void planesRunAlongTheirOwnAxisFromMinusOneToOne() {
        float[] v = ToyVideoModel.coordinatePlanes(8, 4, 5);
        int plane = 8 * 4 * 5;
        // frame plane: constant within a frame, -1 at the first, 1 at the last
        assertEquals(-1f, v[0]);
        assertEquals(-1f, v[(0 * 4 + 3) * 5 + 4]);
        assertEquals(1f, v[(7 * 4 + 2) * 5 + 1]);
        // row plane
        assertEquals(-1f, v[plane + (5 * 4 + 0) * 5 + 3]);
        assertEquals(1f, v[plane + (5 * 4 + 3) * 5 + 0]);
        assertEquals(-1f / 3, v[plane + (2 * 4 + 1) * 5 + 2], 1e-6f);
        // column plane
        assertEquals(-1f, v[2 * plane + (3 * 4 + 2) * 5 + 0]);
        assertEquals(0f, v[2 * plane + (3 * 4 + 2) * 5 + 2]);
        assertEquals(1f, v[2 * plane + (6 * 4 + 1) * 5 + 4]);
    }

    @Test
    void aCoordinateToyTakesSixChannelsAndRoundTripsThroughACheckpoint(@TempDir Path dir) throws Exception {
        WanConfig wc = ToyVideoModel.transformerConfig(32, 2, 16, 1, PATCH, true);
        assertEquals(6, wc.inChannels());
        assertEquals(3, wc.outChannels());
        try (NDManager m = NDManager.newBaseManager()) {
            ToyVideoModel model = ToyVideoModel.random(new ToyTextEncoderConfig(20, 16, 32), wc, m, 3);
            assertTrue(model.takesCoordinates());
            m.getEngine().setRandomSeed(2);
            NDArray proj = model.transformer().namedParameters().get("proj_out.weight").getArray();
            proj.addi(m.randomNormal(proj.getShape())); // zero-initialised: give it weights
            NDArray x = m.randomNormal(new Shape(2, 3, 8, 32, 32));
            NDArray in = model.input(x);
            assertEquals(new Shape(2, 6, 8, 32, 32), in.getShape());
            assertArrayEquals(x.toFloatArray(), in.get(":, 0:3").toFloatArray(), 0f);
            float[] planes = ToyVideoModel.coordinatePlanes(8, 32, 32);
            assertArrayEquals(planes, in.get("1, 3:6").toFloatArray(), 0f, "every clip of the batch gets the planes");

            NDArray t = m.create(new float[] {300f, 900f});
            long[] ids = new long[32];
            ids[0] = 2;
            ids[16] = 5;
            NDArray text = model.textEncoder().forward(m.create(ids, new Shape(2, 16)));
            float[] out = model.transformer().forward(in, t, text).toFloatArray();
            assertEquals(2 * 3 * 8 * 32 * 32, out.length, "pixels out, not planes");
            // the planes reach the output: flipped columns give another prediction
            NDArray flipped = x.concat(in.get(":, 3:6").flip(4), 1);
            assertFalse(java.util.Arrays.equals(out, model.transformer().forward(flipped, t, text).toFloatArray()));

            model.save(dir.resolve("toy"), Map.of());
            ToyVideoModel back = ToyVideoModel.load(dir.resolve("toy"), m);
            assertTrue(back.takesCoordinates());
            NDArray textBack = back.textEncoder().forward(m.create(ids, new Shape(2, 16)));
            assertArrayEquals(out, back.transformer().forward(back.input(x), t, textBack).toFloatArray(), 0f);
        }
    }

    @Test
    void aPixelOnlyToyTakesItsPixelsUnchanged() {
        try (NDManager m = NDManager.newBaseManager()) {
            ToyVideoModel model = ToyVideoModel.random(new ToyTextEncoderConfig(20, 16, 32),
                    ToyVideoModel.transformerConfig(32, 2, 16, 1, PATCH), m, 3);
            assertFalse(model.takesCoordinates());
            NDArray x = m.zeros(new Shape(1, 3, 8, 32, 32));
            assertSame(x, model.input(x));
        }
    }
}

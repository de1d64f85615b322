package dev.qvgen.harness.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;

import dev.qvgen.suites.toy.ToyScene;
import dev.qvgen.suites.toy.ToyVocabulary;
import dev.qvgen.suites.toy.ToyWorld;

import org.junit.jupiter.api.Test;

import java.util.Random;

/** The object mask that `toy train --object-weight` weights: exactly the pixels an object touches. */
class ToyBatchTest {
    @Test
    void objectMaskMarksExactlyTheNonBackgroundPixels() {
        ToyWorld world = ToyWorld.defaults();
        float bg = ToyWorld.background()[0];
        // the same draws ToyBatch.sample makes for its first clip
        ToyScene scene = world.sampleScene(ToyBatch.rng(5, 0));
        float[][][][] frames = world.render(scene);
        int objectPixels = 0;
        for (float[][][] frame : frames) {
            for (float[][] row : frame) {
                for (float[] px : row) {
                    if (px[0] != bg || px[1] != bg || px[2] != bg) {
                        objectPixels++;
                    }
                }
            }
        }
        try (NDManager m = NDManager.newBaseManager()) {
            ToyBatch b = ToyBatch.sample(world, new ToyVocabulary(), 1, ToyBatch.rng(5, 0), 0f,
                    ToyBatch.Sigmas.LOGIT_NORMAL, m);
            float[] mask = b.objectMask().toFloatArray();
            assertEquals(world.frames() * world.height() * world.width(), mask.length, "one channel");
            float sum = 0;
            for (float v : mask) {
                assertTrue(v == 0f || v == 1f, "a 0/1 mask, got " + v);
                sum += v;
            }
            assertTrue(objectPixels > 0, "the scene draws something");
            assertEquals(objectPixels, (int) sum);
        }
    }

    @Test
    void objectMaskIsEmptyOnTheBackgroundAlone() {
        try (NDManager m = NDManager.newBaseManager()) {
            float bg = ToyWorld.background()[0] * 2f - 1f;
            ToyBatch b = new ToyBatch(m.full(new ai.djl.ndarray.types.Shape(1, 3, 2, 4, 4), bg), null, null, null);
            assertEquals(0f, b.objectMask().sum().getFloat());
        }
    }
}

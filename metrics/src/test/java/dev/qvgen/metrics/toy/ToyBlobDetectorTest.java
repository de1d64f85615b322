package dev.qvgen.metrics.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.video.DecodedVideo;
import dev.qvgen.suites.toy.ToyColor;
import dev.qvgen.suites.toy.ToyDirection;
import dev.qvgen.suites.toy.ToyGroundTruth;
import dev.qvgen.suites.toy.ToyObject;
import dev.qvgen.suites.toy.ToyScene;
import dev.qvgen.suites.toy.ToyShape;
import dev.qvgen.suites.toy.ToySpeed;
import dev.qvgen.suites.toy.ToyWorld;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ToyBlobDetectorTest {
    private final ToyWorld world = new ToyWorld(1, 32, 32, 8);

    @Test
    void findsEveryShapeAndColourAtSubPixelPositions() {
        Random rng = new Random(21);
        for (ToyShape shape : ToyShape.values()) {
            for (ToyColor colour : ToyColor.values()) {
                for (int n = 0; n < 10; n++) {
                    double x = 9 + rng.nextDouble() * 14;
                    double y = 10 + rng.nextDouble() * 12;
                    ToyScene scene = ToyScene.of(new ToyObject(colour, shape, ToyDirection.LEFT, ToySpeed.SLOWLY, x, y));
                    List<ToyBlob> blobs = ToyBlobDetector.detect(DecodedVideo.fromFloats(world.render(scene), 8), 0);
                    ToyGroundTruth.FrameState truth = world.groundTruth(scene).tracks().get(0).frames().get(0);
                    String where = colour + " " + shape + " at " + x + "," + y;
                    assertEquals(1, blobs.size(), where);
                    ToyBlob blob = blobs.get(0);
                    assertEquals(colour, blob.color(), where);
                    assertEquals(shape, blob.shape(), where);
                    assertEquals(truth.centreX(), blob.centroidX(), 0.5, where);
                    assertEquals(truth.centreY(), blob.centroidY(), 0.5, where);
                    // A row or column of exactly half-covered pixels may fall either side of the
                    // half-coverage cut: up to ~20% of a 10 px square.
                    assertEquals(truth.maskArea(), blob.area(), 0.25 * truth.maskArea(), where);
                }
            }
        }
    }

    @Test
    void colourClassifierNamesPaletteColoursAndRejectsOthers() {
        for (ToyColor colour : ToyColor.values()) {
            float[] rgb = colour.rgb();
            assertEquals(colour, ToyColorClassifier.classify(rgb[0], rgb[1], rgb[2]));
        }
        assertNull(ToyColorClassifier.classify(0.5, 0.5, 0.5));
        assertNull(ToyColorClassifier.classify(0.12, 0.12, 0.12));
    }

    @Test
    void medianIsTheLowerMiddleValue() {
        assertEquals(3, ToyBlobDetector.median(new int[] {9, 3, 1, 4}));
        assertEquals(4, ToyBlobDetector.median(new int[] {9, 3, 1, 4, 7}));
        assertTrue(ToyShapeClassifier.roundness(79, 5.0) > ToyShapeClassifier.CIRCLE_MIN_ROUNDNESS);
    }
}

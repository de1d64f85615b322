package dev.qvgen.suites.toy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ToyWorldTest {
    private final ToyWorld world = ToyWorld.defaults();

    @Test
    void objectColourSitsAtTheGroundTruthCentreAndBackgroundElsewhere() {
        Random rng = new Random(11);
        for (int n = 0; n < 100; n++) {
            ToyScene scene = world.sampleScene(rng);
            float[][][][] video = world.render(scene);
            ToyGroundTruth truth = world.groundTruth(scene);
            for (int t = 0; t < world.frames(); t++) {
                boolean[][] nearAnObject = new boolean[world.height()][world.width()];
                for (ToyGroundTruth.ObjectTrack track : truth.tracks()) {
                    ToyGroundTruth.FrameState state = track.frames().get(t);
                    float[] pixel = video[t][(int) state.centreY()][(int) state.centreX()];
                    assertArrayEquals(track.object().color().rgb(), pixel, 1e-6f, scene.caption() + " frame " + t);
                    markWithin(nearAnObject, state.centreX(), state.centreY(), 8.5);
                }
                for (int r = 0; r < world.height(); r++) {
                    for (int c = 0; c < world.width(); c++) {
                        if (!nearAnObject[r][c]) {
                            assertArrayEquals(ToyWorld.background(), video[t][r][c], 0f);
                        }
                    }
                }
            }
        }
    }

    private static void markWithin(boolean[][] mask, double cx, double cy, double radius) {
        for (int r = 0; r < mask.length; r++) {
            for (int c = 0; c < mask[r].length; c++) {
                if (Math.hypot(c + 0.5 - cx, r + 0.5 - cy) <= radius) {
                    mask[r][c] = true;
                }
            }
        }
    }

    @Test
    void objectsStayInsideTheFrameInEveryFrame() {
        Random rng = new Random(12);
        float[] background = ToyWorld.background();
        for (int n = 0; n < 300; n++) {
            ToyScene scene = world.sampleScene(rng);
            for (ToyObject o : scene.objects()) {
                for (int t = 0; t < world.frames(); t++) {
                    assertTrue(o.centreX(t) - o.shape().halfWidth() >= 0, scene.caption());
                    assertTrue(o.centreX(t) + o.shape().halfWidth() <= world.width(), scene.caption());
                    assertTrue(o.centreY(t) - o.shape().extentUp() >= 0, scene.caption());
                    assertTrue(o.centreY(t) + o.shape().extentDown() <= world.height(), scene.caption());
                }
            }
            // The outermost ring of pixels must stay background: nothing is clipped by the edge.
            float[][][][] video = world.render(scene);
            for (float[][][] frame : video) {
                for (int i = 0; i < world.width(); i++) {
                    assertArrayEquals(background, frame[0][i], 0f);
                    assertArrayEquals(background, frame[world.height() - 1][i], 0f);
                }
                for (int i = 0; i < world.height(); i++) {
                    assertArrayEquals(background, frame[i][0], 0f);
                    assertArrayEquals(background, frame[i][world.width() - 1], 0f);
                }
            }
        }
    }

    @Test
    void groundTruthMovesAtTheCaptionedSpeedAndKeepsTheShapeArea() {
        ToyScene scene = world.placeScene(ToyScene.parse("a green triangle moves down quickly"), new Random(3));
        ToyGroundTruth.ObjectTrack track = world.groundTruth(scene).tracks().get(0);
        ToyGroundTruth.FrameState first = track.frames().get(0);
        ToyGroundTruth.FrameState last = track.frames().get(world.frames() - 1);
        assertEquals(2.5 * (world.frames() - 1), last.centreY() - first.centreY(), 1e-9);
        assertEquals(first.centreX(), last.centreX(), 0.0);
        for (ToyGroundTruth.FrameState state : track.frames()) {
            // The triangle has area 72 px²; pixelisation moves the mask area by a few pixels.
            assertTrue(state.maskArea() >= 62 && state.maskArea() <= 82, "area " + state.maskArea());
        }
    }

    @Test
    void shapesHaveComparableAreas() {
        for (ToyShape shape : ToyShape.values()) {
            ToyScene scene = ToyScene.of(new ToyObject(ToyColor.RED, shape, ToyDirection.LEFT, ToySpeed.SLOWLY, 20.3, 15.6));
            int area = world.groundTruth(scene).tracks().get(0).frames().get(0).maskArea();
            assertTrue(area >= 65 && area <= 100, shape + " area " + area);
        }
    }

    @Test
    void sameSeedGivesIdenticalScenesAndBitIdenticalFrames() {
        ToyScene a = world.sampleScene(new Random(99));
        ToyScene b = world.sampleScene(new Random(99));
        assertEquals(a, b);
        assertTrue(Arrays.deepEquals(world.render(a), world.render(b)));
    }

    @Test
    void aboutSixtyPercentOfSampledScenesHaveOneObject() {
        Random rng = new Random(5);
        int single = 0;
        int n = 2000;
        for (int i = 0; i < n; i++) {
            ToyScene scene = world.sampleScene(rng);
            assertTrue(scene.isPlaced());
            if (scene.objects().size() == 1) {
                single++;
            }
        }
        assertEquals(0.6, (double) single / n, 0.04);
    }

    @Test
    void placeSceneGivesPositionsToParsedScenes() {
        ToyScene parsed = ToyScene.parse("a yellow square moves right quickly and a magenta circle moves up slowly");
        ToyScene placed = world.placeScene(parsed, new Random(1));
        assertTrue(placed.isPlaced());
        assertEquals(parsed, placed.unplaced());
        assertThrows(IllegalArgumentException.class, () -> world.render(parsed));
    }

    @Test
    void tooSmallWorldIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ToyWorld(8, 16, 16, 8));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
    }
}

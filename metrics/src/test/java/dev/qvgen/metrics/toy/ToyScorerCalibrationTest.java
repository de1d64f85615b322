package dev.qvgen.metrics.toy;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.video.DecodedVideo;
import dev.qvgen.video.Mp4Reader;
import dev.qvgen.video.Mp4Writer;
import dev.qvgen.suites.toy.ToyColor;
import dev.qvgen.suites.toy.ToyDirection;
import dev.qvgen.suites.toy.ToyObject;
import dev.qvgen.suites.toy.ToyPrompt;
import dev.qvgen.suites.toy.ToyPromptSuite;
import dev.qvgen.suites.toy.ToyScene;
import dev.qvgen.suites.toy.ToyShape;
import dev.qvgen.suites.toy.ToySpeed;
import dev.qvgen.suites.toy.ToyWorld;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The toy scorer as an instrument, on the study's own path (render, H.264 MP4 at the world's fps,
 * decode, score against the caption): the world's clips of every suite prompt, at two layouts
 * each, score at least 0.95 on every component; clips that get one attribute wrong for every
 * object (colour, shape, direction, speed) score low on that component and stay at least 0.95 on
 * the others, so each component measures one thing.
 */
class ToyScorerCalibrationTest {
    static final ToyWorld WORLD = ToyWorld.defaults();
    static final int LAYOUTS = 2;
    static final double RIGHT = 0.95;
    static final double WRONG = 0.1;
    static final Map<String, VideoMetric> METRICS = new LinkedHashMap<>();

    @BeforeAll
    static void metrics() {
        METRICS.put("colour", new ToyColorMetric());
        METRICS.put("shape", new ToyShapeMetric());
        METRICS.put("motion", new ToyMotionMetric());
        METRICS.put("persistence", new ToyPersistenceMetric());
    }

    @Test
    void theWorldsOwnClipsScoreHighOnEveryComponent(@TempDir Path dir) {
        Map<String, Double> mean = meanScores(dir, UnaryOperator.identity());
        assertAll(mean.entrySet().stream().map(e -> () -> assertTrue(e.getValue() >= RIGHT,
                e.getKey() + " of the world's own clips: " + e.getValue())));
    }

    @Test
    void wrongColourScoresLowOnColourOnly(@TempDir Path dir) {
        assertOnlyLow("colour", meanScores(dir, scene -> {
            Set<ToyColor> used = EnumSet.noneOf(ToyColor.class);
            scene.objects().forEach(o -> used.add(o.color()));
            List<ToyColor> free = new ArrayList<>(EnumSet.complementOf(EnumSet.copyOf(used)));
            List<ToyObject> out = new ArrayList<>();
            for (int i = 0; i < scene.objects().size(); i++) {
                ToyObject o = scene.objects().get(i);
                out.add(ToyObject.unplaced(free.get(i), o.shape(), o.direction(), o.speed()));
            }
            return new ToyScene(out);
        }));
    }

    @Test
    void wrongShapeScoresLowOnShapeOnly(@TempDir Path dir) {
        assertOnlyLow("shape", meanScores(dir, scene -> map(scene,
                o -> ToyObject.unplaced(o.color(), next(o.shape()), o.direction(), o.speed()))));
    }

    @Test
    void wrongDirectionScoresLowOnMotionOnly(@TempDir Path dir) {
        assertOnlyLow("motion", meanScores(dir, scene -> map(scene,
                o -> ToyObject.unplaced(o.color(), o.shape(), opposite(o.direction()), o.speed()))));
    }

    @Test
    void wrongSpeedScoresLowOnMotionOnly(@TempDir Path dir) {
        assertOnlyLow("motion", meanScores(dir, scene -> map(scene, o -> ToyObject.unplaced(o.color(), o.shape(),
                o.direction(), o.speed() == ToySpeed.SLOWLY ? ToySpeed.QUICKLY : ToySpeed.SLOWLY))));
    }

    static void assertOnlyLow(String low, Map<String, Double> mean) {
        assertAll(mean.entrySet().stream().map(e -> () -> {
            if (e.getKey().equals(low)) {
                assertTrue(e.getValue() <= WRONG, e.getKey() + " should be low: " + e.getValue() + " " + mean);
            } else {
                assertTrue(e.getValue() >= RIGHT, e.getKey() + " should stay high: " + e.getValue() + " " + mean);
            }
        }));
    }

    /**
     * Mean score per component over every suite prompt at {@link #LAYOUTS} layouts, of clips
     * rendered from {@code change(scene)} and scored against the prompt's own caption.
     */
    static Map<String, Double> meanScores(Path dir, UnaryOperator<ToyScene> change) {
        Map<String, Double> sum = new LinkedHashMap<>();
        METRICS.keySet().forEach(k -> sum.put(k, 0.0));
        int n = 0;
        for (ToyPrompt prompt : ToyPromptSuite.standard()) {
            for (int layout = 0; layout < LAYOUTS; layout++) {
                ToyScene rendered;
                try {
                    rendered = WORLD.placeScene(change.apply(prompt.scene()), new Random(7919L * prompt.index() + layout));
                } catch (IllegalArgumentException noLayout) {
                    continue; // e.g. two objects both made quick cannot stay apart in 32x32
                }
                Path file = dir.resolve(prompt.index() + "-" + layout + ".mp4");
                Mp4Writer.write(file, WORLD.render(rendered), WORLD.fps());
                DecodedVideo video = Mp4Reader.decode(file);
                for (var e : METRICS.entrySet()) {
                    double v = e.getValue().score(video, MetricContext.ofCaption(prompt.caption())).value();
                    sum.merge(e.getKey(), v, Double::sum);
                }
                n++;
            }
        }
        assertTrue(n >= ToyPromptSuite.STANDARD_SIZE * LAYOUTS * 3 / 4, "only " + n + " clips could be laid out");
        int count = n;
        sum.replaceAll((k, v) -> v / count);
        System.out.println("toy scorer calibration, " + count + " clips: " + sum);
        return sum;
    }

    static ToyScene map(ToyScene scene, UnaryOperator<ToyObject> f) {
        return new ToyScene(scene.objects().stream().map(f).toList());
    }

    static ToyShape next(ToyShape s) {
        ToyShape[] all = ToyShape.values();
        return all[(s.ordinal() + 1) % all.length];
    }

    static ToyDirection opposite(ToyDirection d) {
        return switch (d) {
            case LEFT -> ToyDirection.RIGHT;
            case RIGHT -> ToyDirection.LEFT;
            case UP -> ToyDirection.DOWN;
            case DOWN -> ToyDirection.UP;
        };
    }
}

package dev.qvgen.metrics.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.ToyClips;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.video.DecodedVideo;
import dev.qvgen.video.Mp4Reader;
import dev.qvgen.video.Mp4Writer;
import dev.qvgen.suites.toy.ToyPrompt;
import dev.qvgen.suites.toy.ToyPromptSuite;
import dev.qvgen.suites.toy.ToyWorld;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ToyMetricsTest {
    private static final String RED_CIRCLE = "a red circle moves left slowly";
    private final VideoMetric color = new ToyColorMetric();
    private final VideoMetric shape = new ToyShapeMetric();
    private final VideoMetric motion = new ToyMotionMetric();
    private final VideoMetric persistence = new ToyPersistenceMetric();

    @Test
    void cleanStandardSuiteClipsScoreHighAfterAnMp4RoundTrip(@TempDir Path dir) {
        for (ToyPrompt prompt : ToyPromptSuite.standard()) {
            Path file = dir.resolve("prompt" + prompt.index() + ".mp4");
            Mp4Writer.write(file, ToyClips.render(prompt), ToyWorld.DEFAULT_FPS);
            DecodedVideo video = Mp4Reader.decode(file);
            String caption = prompt.caption();
            assertEquals(1.0, score(color, video, caption), caption);
            assertEquals(1.0, score(persistence, video, caption), caption);
            assertEquals(1.0, score(motion, video, caption), caption);
            assertTrue(score(shape, video, caption) >= 0.9, caption);
        }
    }

    @Test
    void wrongColourScoresZeroOnColourOnly() {
        DecodedVideo video = inMemory(ToyClips.render(RED_CIRCLE, 1));
        String caption = "a blue circle moves left slowly";
        assertEquals(0.0, score(color, video, caption));
        assertEquals(1.0, score(shape, video, caption), "the red circle is still the captioned shape");
        assertEquals(1.0, score(motion, video, caption));
        assertEquals(1.0, score(persistence, video, caption));
    }

    @Test
    void twoObjectScoresAverageOverObjects() {
        DecodedVideo video = inMemory(ToyClips.render(
                "a red circle moves left slowly and a green square moves up quickly", 4));
        String halfWrong = "a red circle moves left slowly and a blue square moves up quickly";
        assertEquals(0.5, score(color, video, halfWrong), 1e-12);
        // the green square stands in for the blue one: right shape and motion, wrong colour
        assertEquals(1.0, score(motion, video, halfWrong), 1e-12);
        String halfWrongMotion = "a red circle moves left slowly and a green square moves down quickly";
        assertEquals(0.5, score(motion, video, halfWrongMotion), 1e-12);
        assertEquals(1.0, score(color, video, halfWrongMotion), 1e-12);
    }

    @Test
    void wrongShapeScoresLowOnShapeOnly() {
        DecodedVideo video = inMemory(ToyClips.render("a cyan square moves down slowly", 2));
        for (String wrong : new String[] {"a cyan circle moves down slowly", "a cyan triangle moves down slowly"}) {
            assertTrue(score(shape, video, wrong) <= 0.1, wrong);
            assertEquals(1.0, score(color, video, wrong));
        }
    }

    @Test
    void staticClipFailsMotionButKeepsColourAndPersistence() {
        DecodedVideo video = inMemory(ToyClips.frozen(ToyClips.render(RED_CIRCLE, 3)));
        assertEquals(0.0, score(motion, video, RED_CIRCLE));
        assertEquals(1.0, score(color, video, RED_CIRCLE));
        assertEquals(1.0, score(persistence, video, RED_CIRCLE));
    }

    @Test
    void wrongDirectionOrSpeedFailsMotion() {
        DecodedVideo video = inMemory(ToyClips.render("a yellow triangle moves right quickly", 5));
        assertEquals(1.0, score(motion, video, "a yellow triangle moves right quickly"));
        assertEquals(0.0, score(motion, video, "a yellow triangle moves left quickly"));
        assertEquals(0.0, score(motion, video, "a yellow triangle moves up quickly"));
        assertEquals(0.0, score(motion, video, "a yellow triangle moves right slowly"));
    }

    @Test
    void vanishingObjectLosesColourAndPersistence() {
        float[][][][] frames = ToyClips.render(RED_CIRCLE, 6);
        float[][][][] empty = ToyClips.flat(frames.length, 32, 32, ToyWorld.background()[0]);
        for (int t = 4; t < frames.length; t++) {
            frames[t] = empty[t];
        }
        DecodedVideo video = inMemory(frames);
        assertEquals(0.5, score(color, video, RED_CIRCLE), 1e-12);
        assertEquals(0.5, score(persistence, video, RED_CIRCLE), 1e-12);
    }

    @Test
    void noiseScoresLow() {
        DecodedVideo video = inMemory(ToyClips.noise(8, 32, 32, 9));
        for (VideoMetric metric : new VideoMetric[] {color, shape, motion, persistence}) {
            assertTrue(score(metric, video, RED_CIRCLE) <= 0.1, metric.name());
        }
    }

    @Test
    void detailsNameEachObject() {
        DecodedVideo video = inMemory(ToyClips.render(RED_CIRCLE, 7));
        assertEquals(RED_CIRCLE + ": 1.0",
                color.score(video, MetricContext.ofCaption(RED_CIRCLE)).details().get("object_0"));
    }

    private static DecodedVideo inMemory(float[][][][] frames) {
        return DecodedVideo.fromFloats(frames, ToyWorld.DEFAULT_FPS);
    }

    private static double score(VideoMetric metric, DecodedVideo video, String caption) {
        return metric.score(video, MetricContext.ofCaption(caption)).value();
    }
}

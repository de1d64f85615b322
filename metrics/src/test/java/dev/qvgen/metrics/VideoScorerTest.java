package dev.qvgen.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.video.Mp4Writer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VideoScorerTest {
    private static final String CAPTION = "a magenta triangle moves down quickly";

    @Test
    void registryKnowsEveryMetricByName() {
        MetricRegistry registry = MetricRegistry.standard();
        assertEquals(List.of("temporal_flickering", "dynamic_degree", "toy_color", "toy_shape", "toy_motion",
                "toy_persistence"), new ArrayList<>(registry.names()));
        for (String name : registry.names()) {
            assertEquals(name, registry.get(name).name());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> registry.get("fvd"));
        assertTrue(e.getMessage().contains("'fvd'") && e.getMessage().contains("toy_color"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> registry.register(new dev.qvgen.metrics.toy.ToyColorMetric()));
    }

    @Test
    void scoresGoodVideosAndRecordsBadOnesWithoutStopping(@TempDir Path dir) throws IOException {
        Path good = dir.resolve("good.mp4");
        Mp4Writer.write(good, ToyClips.render(CAPTION, 8), 8);
        Path bad = Files.writeString(dir.resolve("bad.mp4"), "garbage");
        VideoScorer scorer = VideoScorer.standard();
        List<String> names = new ArrayList<>(MetricRegistry.standard().names());
        List<VideoScore> results = new ArrayList<>();
        for (Path video : List.of(bad, good)) {
            results.add(scorer.score(video, CAPTION, names));
        }
        VideoScore failed = results.get(0);
        assertFalse(failed.ok());
        assertTrue(failed.error().contains(bad.toString()), failed.error());
        assertTrue(failed.scores().isEmpty());
        VideoScore scored = results.get(1);
        assertTrue(scored.ok());
        assertEquals(names, new ArrayList<>(scored.scores().keySet()));
        assertEquals(1.0, scored.scores().get("toy_motion"));
        assertEquals(1.0, scored.scores().get("dynamic_degree"));
        assertEquals("opencv-farneback", scored.details().get("dynamic_degree").get("flow"));
    }

    @Test
    void callerErrorsThrowInsteadOfBecomingFailedVideos(@TempDir Path dir) {
        VideoScorer scorer = VideoScorer.standard();
        Path missing = dir.resolve("missing.mp4");
        assertThrows(IllegalArgumentException.class, () -> scorer.score(missing, CAPTION, List.of("no_such_metric")));
        assertFalse(scorer.score(missing, CAPTION, List.of("toy_color")).ok());
        Path good = dir.resolve("good.mp4");
        Mp4Writer.write(good, ToyClips.render(CAPTION, 8), 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> scorer.score(good, null, List.of("toy_color")));
        assertTrue(e.getMessage().contains("toy_color"), e.getMessage());
        assertTrue(scorer.score(good, null, List.of("temporal_flickering")).ok());
    }
}

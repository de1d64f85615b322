package dev.qvgen.harness.cli;

import dev.qvgen.harness.CliRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.qvgen.harness.Main;
import dev.qvgen.video.Mp4Writer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `qvgen evaluate` end to end on tiny videos: files written, bad input as exit 2. */
class EvaluateCommandTest {
    static CliRun run(String... args) {
        return CliRun.of(args);
    }

    static float[][][][] gray(int frames, float... levels) {
        float[][][][] v = new float[frames][16][16][3];
        for (int t = 0; t < frames; t++) {
            for (float[][] row : v[t]) {
                for (float[] px : row) {
                    java.util.Arrays.fill(px, levels[t % levels.length]);
                }
            }
        }
        return v;
    }

    @Test
    void scoresAFolderAndResumes(@TempDir Path dir) throws IOException {
        Path videos = Files.createDirectories(dir.resolve("videos"));
        Mp4Writer.write(videos.resolve("a still frame-0.mp4"), gray(6, 0.5f), 8);
        Mp4Writer.write(videos.resolve("a flickering frame-0.mp4"), gray(6, 0.2f, 0.8f), 8);
        Files.writeString(videos.resolve("broken-0.mp4"), "junk");
        Path out = dir.resolve("out");
        CliRun r = run("evaluate", "--videos", videos.toString(), "--out", out.toString(), "--threads", "2",
                "--dimensions", "temporal_flickering,subject_consistency", "--allow-failures");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("unavailable: subject_consistency"), r.out());
        assertTrue(r.out().contains("3 videos, 0 already done, 2 scored now, 1 failed"), r.out());
        assertTrue(r.out().contains("broken-0.mp4"), r.out());
        JsonObject eval = JsonParser.parseString(Files.readString(out.resolve("qvgen_eval_results.json")))
                .getAsJsonObject();
        assertEquals(1, eval.size());
        assertEquals(2, eval.getAsJsonArray("temporal_flickering").get(1).getAsJsonArray().size());
        assertTrue(Files.exists(out.resolve("qvgen_per_video.csv")));
        assertTrue(Files.exists(out.resolve("qvgen_scores.json")));
        // the study's result rows too, so merge, gate and the reports read the folder
        java.util.List<dev.qvgen.reports.ResultRow> rows = dev.qvgen.reports.ResultsCsv.read(out.resolve("results.csv"));
        assertEquals(3, rows.size());
        assertTrue(rows.stream().allMatch(x -> x.group().equals("external -") && x.seed() == 0), rows.toString());
        assertEquals(1, rows.stream().filter(x -> x.error() != null).count(), "the broken video keeps its error");
        assertEquals(2, rows.stream().filter(x -> x.scores().containsKey("temporal_flickering")).count());
        assertEquals(3, rows.stream().map(dev.qvgen.reports.ResultRow::promptIndex).distinct().count());

        CliRun again = run("evaluate", "--videos", videos.toString(), "--out", out.toString(), "--threads", "1",
                "--dimensions", "temporal_flickering");
        // the broken video still fails: without --allow-failures that is exit 1, counted on one line
        assertEquals(1, again.code(), again.err());
        assertEquals("qvgen: 1 of 3 videos could not be scored (see " + out.resolve("qvgen_per_video.csv")
                + "); pass --allow-failures to accept that", again.err().strip());
        assertTrue(again.out().contains("3 videos, 2 already done, 0 scored now, 1 failed"), again.out());
    }

    @Test
    void badInputIsOneLineExitTwo(@TempDir Path dir) throws IOException {
        Path videos = Files.createDirectories(dir.resolve("videos"));
        CliRun unknown = run("evaluate", "--videos", videos.toString(), "--out", dir.resolve("o").toString(),
                "--dimensions", "sharpness");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("unknown dimension 'sharpness'"), unknown.err());
        Path missing = dir.resolve("dino.pth");
        CliRun weights = run("evaluate", "--videos", videos.toString(), "--out", dir.resolve("o").toString(),
                "--dino", missing.toString());
        assertEquals(2, weights.code());
        assertTrue(weights.err().contains(missing.toString()), weights.err());
        // the toy DINO fixture is not ViT-B/16: the shape check names the file and tensor
        Path toy = Path.of("../shared/fixtures/metrics/dino-vit/dino_vit_pretrain.pth");
        CliRun wrong = run("evaluate", "--videos", videos.toString(), "--out", dir.resolve("o").toString(),
                "--dino", toy.toString(), "--dimensions", "subject_consistency");
        assertEquals(2, wrong.code(), wrong.err());
        assertTrue(wrong.err().contains("dino_vit_pretrain.pth") && wrong.err().strip().lines().count() == 1,
                wrong.err());
        // --viclip: a checkpoint that is not ViCLIP fails before any video, naming the file
        Path bpe = Files.writeString(dir.resolve("bpe.txt"), "#version: 0.2\nh e\n");
        CliRun notViclip = run("evaluate", "--videos", videos.toString(), "--out", dir.resolve("o").toString(),
                "--viclip", toy.toString(), "--clip-bpe", bpe.toString(), "--dimensions", "overall_consistency");
        assertEquals(2, notViclip.code(), notViclip.err());
        assertTrue(notViclip.err().contains("dino_vit_pretrain.pth") && notViclip.err().contains("ViCLIP"),
                notViclip.err());
        // --musiq: likewise for a checkpoint that is not MUSIQ
        CliRun notMusiq = run("evaluate", "--videos", videos.toString(), "--out", dir.resolve("o").toString(),
                "--musiq", toy.toString(), "--dimensions", "imaging_quality");
        assertEquals(2, notMusiq.code(), notMusiq.err());
        assertTrue(notMusiq.err().contains("dino_vit_pretrain.pth") && notMusiq.err().contains("MUSIQ"),
                notMusiq.err());
    }

    @Test
    void amtWeightsEnableMotionSmoothness(@TempDir Path dir) throws IOException {
        Path videos = Files.createDirectories(dir.resolve("videos"));
        // a gradient sliding right: 128x160 is the smallest size whose AMT correlation pyramid is finite
        float[][][][] v = new float[3][128][160][3];
        for (int t = 0; t < v.length; t++) {
            for (int r = 0; r < 128; r++) {
                for (int c = 0; c < 160; c++) {
                    java.util.Arrays.fill(v[t][r][c], 0.5f + 0.4f * (float) Math.sin((c - 2 * t) / 9.0 + r / 23.0));
                }
            }
        }
        Mp4Writer.write(videos.resolve("a sliding gradient-0.mp4"), v, 8);
        Path out = dir.resolve("out");
        long t0 = System.nanoTime();
        CliRun r = run("evaluate", "--videos", videos.toString(), "--out", out.toString(), "--threads", "1",
                "--dimensions", "motion_smoothness", "--amt", "metrics/src/test/resources/amt/amt-s.pth");
        assertEquals(0, r.code(), r.err() + r.out());
        System.out.printf("evaluate --amt took %.1f s%n", (System.nanoTime() - t0) / 1e9);
        assertTrue(r.out().contains("1 scored now, 0 failed"), r.out());
        JsonObject eval = JsonParser.parseString(Files.readString(out.resolve("qvgen_eval_results.json")))
                .getAsJsonObject();
        double score = eval.getAsJsonArray("motion_smoothness").get(0).getAsDouble();
        assertTrue(score > 0 && score <= 1, "score " + score);
        CliRun missing = run("evaluate", "--videos", videos.toString(), "--out", dir.resolve("o").toString(),
                "--amt", dir.resolve("amt-s.pth").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("amt-s.pth"), missing.err());
    }
}

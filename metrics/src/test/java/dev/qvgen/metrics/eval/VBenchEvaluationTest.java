package dev.qvgen.metrics.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.qvgen.metrics.MetricRegistry;
import dev.qvgen.metrics.TestResources;
import dev.qvgen.metrics.ToyClips;
import dev.qvgen.metrics.backbone.DinoVisionTransformer;
import dev.qvgen.metrics.vbench.VBenchBackbones;
import dev.qvgen.suites.vbench.VBenchDimensions;
import dev.qvgen.video.Mp4Writer;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A whole batch on real MP4 files: known answers, VBench's JSON layout, bad files, resuming. */
class VBenchEvaluationTest {
    static final String MOVING = "a magenta triangle moves down quickly";
    static final String STILL = "a still red circle";
    static final List<String> DIMS = List.of("subject_consistency", "background_consistency", "temporal_flickering",
            "dynamic_degree", "aesthetic_quality", "motion_smoothness");

    static VBenchBackbones backbones;
    static MetricRegistry registry;

    @BeforeAll
    static void load() {
        backbones = new VBenchBackbones(new VBenchBackbones.Weights(
                Path.of("../shared/fixtures/metrics/dino-vit/dino_vit_pretrain.pth"),
                Path.of("../shared/fixtures/metrics/clip/clip_state_dict.pth"),
                Path.of("../shared/fixtures/metrics/clip/clip_state_dict.pth"),
                TestResources.torch("aesthetic_head_constant5.pth"), null,
                TestResources.torch("bpe_tiny.txt"), new DinoVisionTransformer.Config(16, 64, 2, 4, 4.0, 1e-6f)));
        registry = MetricRegistry.vbench(backbones);
    }

    @AfterAll
    static void close() {
        backbones.close();
    }

    /** Three good videos (moving, still, flickering) and two bad files. */
    static Path videos(Path dir) throws IOException {
        Path v = Files.createDirectories(dir.resolve("videos"));
        Mp4Writer.write(v.resolve(MOVING + "-0.mp4"), ToyClips.render(MOVING, 8), 8);
        Mp4Writer.write(v.resolve(STILL + "-0.mp4"), ToyClips.frozen(ToyClips.render("a red circle moves up slowly", 3)), 8);
        float[][][][] flicker = new float[8][][][];
        for (int t = 0; t < 8; t++) {
            flicker[t] = ToyClips.flat(1, 32, 32, t % 2 == 0 ? 0.2f : 0.8f)[0];
        }
        Mp4Writer.write(v.resolve("flicker-0.mp4"), flicker, 8);
        Files.writeString(v.resolve("broken-0.mp4"), "not a video");
        Files.write(v.resolve("empty-0.mp4"), new byte[0]);
        Files.writeString(v.resolve("notes.txt"), "ignored: not a video suffix");
        return v;
    }

    static final class Counting implements VBenchEvaluation.Listener {
        final AtomicInteger finished = new AtomicInteger();
        int total;
        int already;

        @Override
        public void started(int total, int alreadyDone) {
            this.total = total;
            this.already = alreadyDone;
        }

        @Override
        public void finished(EvalRecord record) {
            finished.incrementAndGet();
        }
    }

    static JsonObject json(Path p) throws IOException {
        return JsonParser.parseString(Files.readString(p)).getAsJsonObject();
    }

    static double videoResult(JsonObject eval, String dim, String fileName) {
        for (JsonElement e : eval.getAsJsonArray(dim).get(1).getAsJsonArray()) {
            JsonObject o = e.getAsJsonObject();
            if (o.get("video_path").getAsString().endsWith("/" + fileName)) {
                JsonElement r = o.get("video_results");
                return r.getAsJsonPrimitive().isBoolean() ? (r.getAsBoolean() ? 1 : 0) : r.getAsDouble();
            }
        }
        throw new AssertionError("no " + dim + " result for " + fileName);
    }

    @Test
    void scoresABatchWritesVBenchFilesAndResumes(@TempDir Path dir) throws IOException {
        Path videos = videos(dir);
        Path out = dir.resolve("out");
        var options = new VBenchEvaluation.Options(videos, null, DIMS, out, "run", 2);
        Counting first = new Counting();
        VBenchEvaluation.Summary s = VBenchEvaluation.run(options, registry, first);
        assertEquals(5, s.videos());
        assertEquals(0, s.skipped());
        assertEquals(2, s.failed());
        assertEquals(5, first.finished.get());
        assertTrue(s.unavailable().get("motion_smoothness").contains("AMT"));

        // VBench's structure: {dimension: [mean, [{video_path, video_results}, ...]]}
        JsonObject eval = json(s.evalResults());
        assertEquals(List.of("subject_consistency", "background_consistency", "temporal_flickering", "dynamic_degree",
                "aesthetic_quality"), new ArrayList<>(eval.keySet()));
        for (String d : eval.keySet()) {
            JsonArray pair = eval.getAsJsonArray(d);
            assertEquals(2, pair.size());
            assertTrue(pair.get(0).getAsJsonPrimitive().isNumber());
            assertEquals(3, pair.get(1).getAsJsonArray().size(), d);
        }
        assertEquals(1.0, videoResult(eval, "subject_consistency", STILL + "-0.mp4"), 1e-6);
        assertEquals(1.0, videoResult(eval, "background_consistency", STILL + "-0.mp4"), 1e-6);
        assertEquals(1.0, videoResult(eval, "temporal_flickering", STILL + "-0.mp4"), 1e-9);
        assertEquals(0.0, videoResult(eval, "dynamic_degree", STILL + "-0.mp4"));
        assertEquals(1.0, videoResult(eval, "dynamic_degree", MOVING + "-0.mp4"));
        assertTrue(eval.getAsJsonArray("dynamic_degree").get(1).getAsJsonArray().get(0).getAsJsonObject()
                .get("video_results").getAsJsonPrimitive().isBoolean());
        double flicker = videoResult(eval, "temporal_flickering", "flicker-0.mp4");
        assertTrue(flicker < videoResult(eval, "temporal_flickering", MOVING + "-0.mp4"), "flicker " + flicker);
        assertEquals(0.5, eval.getAsJsonArray("aesthetic_quality").get(0).getAsDouble(), 1e-6);
        // VBench's consistency mean is over frame pairs: sum(video_sim) / sum(cnt_per_video)
        double sim = 0;
        double cnt = 0;
        for (JsonElement e : eval.getAsJsonArray("background_consistency").get(1).getAsJsonArray()) {
            sim += e.getAsJsonObject().get("video_sim").getAsDouble();
            cnt += e.getAsJsonObject().get("cnt_per_video").getAsInt();
        }
        assertEquals(sim / cnt, eval.getAsJsonArray("background_consistency").get(0).getAsDouble(), 1e-12);
        double dynMean = eval.getAsJsonArray("dynamic_degree").get(0).getAsDouble();
        // only the moving clip moves: flat flickering frames have no texture for optical flow
        assertEquals(1.0 / 3, dynMean, 1e-12);

        // per-video CSV: every video, bad ones with an error naming the file
        try (Reader r = Files.newBufferedReader(s.perVideoCsv())) {
            List<CSVRecord> rows = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get()
                    .parse(r).getRecords();
            assertEquals(5, rows.size());
            for (CSVRecord row : rows) {
                String path = row.get("video_path");
                if (path.contains("broken") || path.contains("empty")) {
                    assertTrue(row.get("error").contains(path), row.get("error"));
                    assertEquals("", row.get("subject_consistency"));
                } else {
                    assertEquals("", row.get("error"));
                    Double.parseDouble(row.get("temporal_flickering"));
                }
            }
        }

        // normalised scores: unavailable dimensions are named, totals that need them are null
        JsonObject scores = json(s.scores());
        JsonObject dims = scores.getAsJsonObject("dimensions");
        assertTrue(dims.getAsJsonObject("motion_smoothness").get("unavailable").getAsString().contains("AMT"));
        assertEquals("not requested", dims.getAsJsonObject("scene").get("unavailable").getAsString());
        assertTrue(scores.get("quality_score").isJsonNull());
        assertTrue(scores.get("total_score").isJsonNull());
        double norm = 0;
        double weights = 0;
        for (String d : List.of("subject_consistency", "background_consistency", "temporal_flickering",
                "dynamic_degree", "aesthetic_quality")) {
            double mean = eval.getAsJsonArray(d).get(0).getAsDouble();
            VBenchDimensions.Norm n = VBenchDimensions.NORMS.get(d);
            assertEquals((mean - n.min()) / (n.max() - n.min()) * n.weight(),
                    dims.getAsJsonObject(d).get("normalized").getAsDouble(), 1e-12);
            norm += dims.getAsJsonObject(d).get("normalized").getAsDouble();
            weights += n.weight();
        }
        assertEquals(norm / weights, scores.get("quality_score_partial").getAsDouble(), 1e-12);
        assertEquals(2, scores.get("videos_failed").getAsInt());

        // resume: good videos are skipped, the two failures are tried again
        Counting second = new Counting();
        VBenchEvaluation.Summary again = VBenchEvaluation.run(options, registry, second);
        assertEquals(3, again.skipped());
        assertEquals(3, second.already);
        assertEquals(2, second.finished.get());
        assertEquals(7, Files.readAllLines(again.records()).size());
        assertEquals(eval, json(again.evalResults()));
    }

    @Test
    void fullInfoPromptsLimitDimensionsPerPrompt(@TempDir Path dir) throws IOException {
        Path videos = videos(dir);
        Path info = Files.writeString(dir.resolve("full_info.json"), "[{\"prompt_en\": \"" + MOVING
                + "\", \"dimension\": [\"dynamic_degree\"]}, {\"prompt_en\": \"" + STILL
                + "\", \"dimension\": [\"temporal_flickering\", \"dynamic_degree\"]}]");
        var options = new VBenchEvaluation.Options(videos, info, List.of("temporal_flickering", "dynamic_degree"),
                dir.resolve("out"), "std", 1);
        VBenchEvaluation.Summary s = VBenchEvaluation.run(options, registry, new Counting());
        JsonObject eval = json(s.evalResults());
        assertEquals(1, eval.getAsJsonArray("temporal_flickering").get(1).getAsJsonArray().size());
        assertEquals(2, eval.getAsJsonArray("dynamic_degree").get(1).getAsJsonArray().size());
        // flicker, broken and empty have no prompt in the file: error rows, not silent drops
        assertEquals(3, s.failed());
        Map<String, EvalRecord> records = VBenchEvaluation.readRecords(s.records());
        EvalRecord flicker = records.get(videos.resolve("flicker-0.mp4").toString());
        assertTrue(flicker.error().contains("no prompt"), flicker.error());
        assertEquals(STILL, records.get(videos.resolve(STILL + "-0.mp4").toString()).prompt());
    }

    @Test
    void promptFilesAndCallerErrors(@TempDir Path dir) throws IOException {
        assertEquals("a cat", PromptIndex.promptFromFileName("a cat-3.mp4"));
        assertEquals("a cat", PromptIndex.promptFromFileName("a cat.mp4"));
        Path txt = Files.writeString(dir.resolve("p.txt"), "a dog\n\na cat\n");
        PromptIndex idx = PromptIndex.load(txt);
        assertEquals("a cat", idx.lookup("a cat-0.mp4").prompt());
        assertNull(idx.lookup("a cat-0.mp4").dimensions());
        assertEquals("a cat", idx.lookup("1.mp4").prompt());
        assertEquals("a cat", idx.lookup("0001-2.mp4").prompt());
        assertThrows(IllegalArgumentException.class, () -> idx.lookup("a bird-0.mp4"));
        Path badJson = Files.writeString(dir.resolve("bad.json"), "{\"not\": \"a list\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PromptIndex.load(badJson));
        assertTrue(e.getMessage().startsWith(badJson.toString()), e.getMessage());
        Path shared = Path.of("../shared/suites/vbench/VBench_full_info.json");
        if (Files.exists(shared)) {
            PromptIndex vbench = PromptIndex.load(shared);
            assertTrue(vbench.lookup("In a still frame, a stop sign-4.mp4").dimensions().contains("temporal_flickering"));
        }
        var options = new VBenchEvaluation.Options(dir, null, List.of("no_such_dimension"), dir.resolve("o"), "x", 1);
        assertThrows(IllegalArgumentException.class,
                () -> VBenchEvaluation.run(options, registry, new Counting()));
        var missing = new VBenchEvaluation.Options(dir.resolve("nope"), null, List.of("temporal_flickering"),
                dir.resolve("o"), "x", 1);
        assertFalse(Files.exists(dir.resolve("nope")));
        assertThrows(IllegalArgumentException.class, () -> VBenchEvaluation.run(missing, registry, new Counting()));
    }

    @Test
    void appearanceStyleReadsTheStyleFromFullInfoAndIsFrameWeighted(@TempDir Path dir) throws IOException {
        Path videos = videos(dir);
        Path info = Files.writeString(dir.resolve("full_info.json"), "[{\"prompt_en\": \"" + MOVING
                + "\", \"dimension\": [\"appearance_style\"], \"auxiliary_info\": {\"appearance_style\": "
                + "{\"appearance_style\": \"hello\"}}}, {\"prompt_en\": \"" + STILL
                + "\", \"dimension\": [\"appearance_style\"], \"auxiliary_info\": {\"appearance_style\": "
                + "{\"appearance_style\": \"hell\"}}}]");
        try (VBenchBackbones b = new VBenchBackbones(new VBenchBackbones.Weights(null,
                TestResources.torch("clip_toy520.pth"), null, null, null, TestResources.torch("bpe_tiny.txt"),
                new DinoVisionTransformer.Config(16, 64, 2, 4, 4.0, 1e-6f)))) {
            MetricRegistry r = MetricRegistry.vbench(b);
            var options = new VBenchEvaluation.Options(videos, info, List.of("appearance_style"), dir.resolve("out"),
                    "style", 2);
            VBenchEvaluation.Summary s = VBenchEvaluation.run(options, r, new Counting());
            JsonObject eval = json(s.evalResults());
            JsonArray list = eval.getAsJsonArray("appearance_style").get(1).getAsJsonArray();
            assertEquals(2, list.size());
            double sum = 0;
            int frames = 0;
            for (JsonElement e : list) {
                JsonArray fr = e.getAsJsonObject().getAsJsonArray("frame_results");
                for (JsonElement f : fr) {
                    sum += f.getAsDouble();
                    frames++;
                }
                assertEquals(fr.get(fr.size() - 1).getAsDouble(), e.getAsJsonObject().get("cur_sim").getAsDouble());
            }
            assertEquals(16, frames);
            assertEquals(sum / frames, eval.getAsJsonArray("appearance_style").get(0).getAsDouble(), 1e-12);

            // without the full-info JSON there is no style text: refused up front, as VBench's custom mode does
            Path txt = Files.writeString(dir.resolve("p.txt"), MOVING + "\n");
            var noInfo = new VBenchEvaluation.Options(videos, txt, List.of("appearance_style"), dir.resolve("o2"),
                    "style", 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> VBenchEvaluation.run(noInfo, r, new Counting()));
            assertTrue(e.getMessage().contains("VBench_full_info.json"), e.getMessage());
        }
    }

    @Test
    void sceneCaptionsSixteenFramesPerVideoAndIsFrameWeighted(@TempDir Path dir) throws Exception {
        Path videos = videos(dir);
        // scene words chosen for what the toy captioner says about these clips (every frame of the
        // moving clip: "white ... cat ..."; some of the flicker clip's: "kitchen ... bus ...")
        Path info = Files.writeString(dir.resolve("full_info.json"), "[{\"prompt_en\": \"" + MOVING
                + "\", \"dimension\": [\"scene\"], \"auxiliary_info\": {\"scene\": {\"scene\": {\"scene\": "
                + "\"white cat\"}}}}, {\"prompt_en\": \"" + STILL + "\", \"dimension\": [\"scene\"], "
                + "\"auxiliary_info\": {\"scene\": {\"scene\": {\"scene\": \"alley\"}}}}, {\"prompt_en\": "
                + "\"flicker\", \"dimension\": [\"scene\"], \"auxiliary_info\": {\"scene\": {\"scene\": "
                + "{\"scene\": \"kitchen bus\"}}}}]");
        var weights = VBenchBackbones.Weights.none().withTag2Text(
                dev.qvgen.metrics.tag2text.Tag2TextParityTest.resource("tag2text_toy.pth"),
                dev.qvgen.metrics.tag2text.Tag2TextParityTest.resource("tag_list.txt"),
                dev.qvgen.metrics.tag2text.Tag2TextParityTest.resource("tokenizer.json"),
                dev.qvgen.metrics.tag2text.Tag2TextParityTest.toyConfig());
        try (VBenchBackbones b = new VBenchBackbones(weights)) {
            MetricRegistry r = MetricRegistry.vbench(b);
            var options = new VBenchEvaluation.Options(videos, info, List.of("scene"), dir.resolve("out"), "scene", 2);
            VBenchEvaluation.Summary summary = VBenchEvaluation.run(options, r, new Counting());
            JsonObject eval = json(summary.evalResults());
            JsonArray list = eval.getAsJsonArray("scene").get(1).getAsJsonArray();
            assertEquals(3, list.size());
            int success = 0;
            int frames = 0;
            for (JsonElement e : list) {
                JsonObject o = e.getAsJsonObject();
                int s = o.get("success_frame_count").getAsInt();
                int n = o.get("frame_count").getAsInt();
                // the 8-frame flicker video too: VBench samples 16 interval middles, repeating frames
                assertEquals(16, n, "16 frames sampled at interval middles");
                assertEquals((double) s / n, o.get("video_results").getAsDouble(), 1e-12);
                success += s;
                frames += n;
                String path = o.get("video_path").getAsString();
                if (path.contains(STILL)) {
                    assertEquals(0, s, "no caption of the toy captioner mentions an alley");
                } else if (path.contains(MOVING)) {
                    assertEquals(16, s, "every caption of the moving clip: " + o);
                } else {
                    assertTrue(s > 0 && s < 16, "some captions of the flicker clip: " + o);
                }
            }
            assertEquals((double) success / frames, eval.getAsJsonArray("scene").get(0).getAsDouble(), 1e-12);
        }
    }
}

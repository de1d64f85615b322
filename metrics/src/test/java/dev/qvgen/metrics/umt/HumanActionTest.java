package dev.qvgen.metrics.umt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricRegistry;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.eval.EvalRecord;
import dev.qvgen.metrics.eval.VBenchResults;
import dev.qvgen.metrics.vbench.HumanAction;
import dev.qvgen.metrics.vbench.HumanActionProbe;
import dev.qvgen.metrics.vbench.VBenchBackbones;
import dev.qvgen.video.DecodedVideo;
import dev.qvgen.layers.io.CheckpointException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** VBench's human_action around the UMT classifier: label parsing, preprocessing, the top-5 rule, JSON. */
class HumanActionTest {
    @TempDir
    Path tmp;

    @Test
    void actionIsReadFromThePromptAsVBenchReadsTheFileName() {
        assertEquals("riding a bike", HumanActionProbe.action("A person is riding a bike"));
        assertEquals("a man", HumanActionProbe.action("A man-riding a bike")); // before the first '-'
        assertEquals("playing", HumanActionProbe.action("a person is playing_guitar"));
        assertEquals("dancing", HumanActionProbe.action("the person is happy and the person is dancing"));
    }

    @Test
    void framesAreResizedToAShortSideOf256AndCenterCropped() {
        assertArrayEquals(new int[] {256, 443}, HumanActionProbe.resizedSize(480, 832)); // int(256 * 832 / 480)
        assertArrayEquals(new int[] {341, 256}, HumanActionProbe.resizedSize(320, 240));
        assertArrayEquals(new int[] {256, 300}, HumanActionProbe.resizedSize(256, 300)); // already 256: untouched
        // a 256 x 300 frame is not resized; the crop starts at row 16 and column rint(38.0) = 38
        DecodedVideo video = gradient(1, 256, 300);
        byte[] crop = HumanActionProbe.croppedFrame(video, 0);
        assertEquals(224 * 224 * 3, crop.length);
        assertEquals(video.sample(0, 16, 38, 0), crop[0] & 0xff);
        assertEquals(video.sample(0, 16 + 223, 38 + 223, 1), crop[(223 * 224 + 223) * 3 + 1] & 0xff);
        // small frames are enlarged first (short side 256), so every frame can be cropped
        assertEquals(224 * 224 * 3, HumanActionProbe.croppedFrame(gradient(1, 100, 120), 0).length);
    }

    @Test
    void aVideoIsCorrectWhenItsActionIsATop5ClassScoredAtLeast085() throws Exception {
        Path names = tmp.resolve("kinetics.txt");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            lines.add("Class " + i + "\t" + i);
        }
        Files.write(names, lines);
        try (NDManager m = NDManager.newBaseManager()) {
            UmtVisionTransformer model = UmtVisionTransformer.load(UmtParityTest.resource("umt_toy.pth"),
                    UmtParityTest.TOY, m);
            HumanAction metric = new HumanAction(() -> model, () -> KineticsCategories.load(names), Device.cpu());
            DecodedVideo video = gradient(20, 240, 320);
            float[] scores = HumanActionProbe.scores(metric, video);
            int[] top = HumanActionProbe.topIndices(scores, 10);
            assertTrue(scores[top[0]] >= 0.85, "the toy's best class should pass the threshold: " + scores[top[0]]);
            MetricResult best = metric.score(video, MetricContext.ofCaption("A person is class " + top[0]));
            assertEquals(1.0, best.value());
            assertTrue(best.details().get("top5").startsWith("class " + top[0] + ":"), best.details().toString());
            // a class outside the top 5 never counts, whatever its score
            MetricResult sixth = metric.score(video, MetricContext.ofCaption("A person is class " + top[5]));
            assertEquals(0.0, sixth.value());
        }
    }

    @Test
    void theTop5RuleRoundsScoresToFourDecimalsBeforeTheThreshold() throws Exception {
        Path names = tmp.resolve("names.txt");
        Files.write(names, List.of("a\t0", "b\t1", "c\t2", "d\t3", "e\t4", "f\t5", "g\t6"));
        KineticsCategories k = KineticsCategories.load(names);
        // 0.84996 rounds to 0.85 and counts; 0.84994 rounds to 0.8499 and does not
        float[] scores = {0.95f, 0.84996f, 0.84994f, 0.5f, 0.4f, 0.3f, 0.99f};
        List<String> top = new ArrayList<>();
        assertTrue(HumanActionProbe.recognised(scores, k, "b", top));
        assertEquals(List.of("g:0.99", "a:0.95", "b:0.85", "c:0.8499", "d:0.5"), top);
        assertFalse(HumanActionProbe.recognised(scores, k, "c", new ArrayList<>()));
        // the sixth-best class is outside the top 5 even if the list were cut differently
        assertFalse(HumanActionProbe.recognised(scores, k, "e", new ArrayList<>()));
        assertTrue(HumanActionProbe.recognised(scores, k, "g", new ArrayList<>()));
    }

    @Test
    void evaluationOfAFolderWritesVBenchsHumanActionEntries() throws Exception {
        Path names = tmp.resolve("kinetics.txt");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            lines.add("Class " + i + "\t" + i);
        }
        Files.write(names, lines);
        Path videos = Files.createDirectories(tmp.resolve("videos"));
        Path clip = tmp.resolve("clip.mp4");
        dev.qvgen.video.Mp4Writer.write(clip, gradient(18, 120, 160).toFloats(), 8);
        try (VBenchBackbones b = new VBenchBackbones(VBenchBackbones.Weights.none().withUmt(
                UmtParityTest.resource("umt_toy.pth"), names, UmtParityTest.TOY))) {
            MetricRegistry registry = MetricRegistry.vbench(b);
            HumanAction metric = (HumanAction) registry.get("human_action");
            // name one copy after the clip's best class (recognised) and one after its worst (not)
            float[] scores = HumanActionProbe.scores(metric, dev.qvgen.video.Mp4Reader.decode(clip));
            int[] order = HumanActionProbe.topIndices(scores, 10);
            Files.copy(clip, videos.resolve("A person is class " + order[0] + "-0.mp4"));
            Files.copy(clip, videos.resolve("A person is class " + order[9] + "-0.mp4"));
            var summary = dev.qvgen.metrics.eval.VBenchEvaluation.run(new dev.qvgen.metrics.eval.VBenchEvaluation.Options(
                    videos, null, List.of("human_action"), tmp.resolve("out"), "t", 2), registry,
                    new dev.qvgen.metrics.eval.VBenchEvaluation.Listener() {
                        @Override
                        public void started(int total, int alreadyDone) {
                        }

                        @Override
                        public void finished(EvalRecord record) {
                        }
                    });
            assertEquals(2, summary.scored());
            JsonArray pair = com.google.gson.JsonParser.parseString(Files.readString(summary.evalResults()))
                    .getAsJsonObject().getAsJsonArray("human_action");
            assertEquals(0.5, pair.get(0).getAsDouble(), 1e-12);
            for (var e : pair.get(1).getAsJsonArray()) {
                JsonObject o = e.getAsJsonObject();
                boolean best = o.get("video_path").getAsString().endsWith("class " + order[0] + "-0.mp4");
                assertEquals(best, o.get("video_results").getAsBoolean(), o.toString());
                assertEquals(best ? 1 : 0, o.get("cor_num_per_video").getAsInt());
            }
        }
    }

    @Test
    void evalResultsListWhetherTheActionWasRecognised() {
        List<EvalRecord> records = List.of(
                new EvalRecord("v/a person is running-0.mp4", "a person is running", Map.of("human_action", 1.0), null,
                        null),
                new EvalRecord("v/a person is eating-0.mp4", "a person is eating", Map.of("human_action", 0.0), null,
                        null));
        JsonObject json = VBenchResults.evalResults(records, List.of("human_action"));
        JsonArray pair = json.getAsJsonArray("human_action");
        assertEquals(0.5, pair.get(0).getAsDouble(), 1e-12);
        JsonObject first = pair.get(1).getAsJsonArray().get(0).getAsJsonObject();
        assertTrue(first.get("video_results").getAsBoolean());
        assertEquals(1, first.get("cor_num_per_video").getAsInt());
        assertFalse(pair.get(1).getAsJsonArray().get(1).getAsJsonObject().get("video_results").getAsBoolean());
    }

    @Test
    void withoutWeightsTheDimensionIsUnavailableAndABadClassListNamesTheFile() throws Exception {
        try (VBenchBackbones none = new VBenchBackbones(VBenchBackbones.Weights.none())) {
            var reason = MetricRegistry.vbench(none).get("human_action").unavailableReason();
            assertTrue(reason.isPresent() && reason.get().contains("--umt"), reason.toString());
        }
        try (VBenchBackbones mismatched = new VBenchBackbones(VBenchBackbones.Weights.none().withUmt(
                UmtParityTest.resource("umt_toy.pth"), fiveNames(), UmtParityTest.TOY))) {
            // 5 names for a 10-class classifier: refused when the networks load, naming the file
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> mismatched.preload(List.of("human_action")));
            assertTrue(e.getMessage().contains("five.txt") && e.getMessage().contains("10"), e.getMessage());
        }
        Path bad = tmp.resolve("bad.txt");
        Files.writeString(bad, "riding a bike\t0\nmarching\n");
        CheckpointException e = assertThrows(CheckpointException.class, () -> KineticsCategories.load(bad));
        assertTrue(e.getMessage().contains("bad.txt") && e.getMessage().contains("marching"), e.getMessage());
    }

    private Path fiveNames() throws java.io.IOException {
        Path p = tmp.resolve("five.txt");
        Files.write(p, List.of("a\t0", "b\t1", "c\t2", "d\t3", "e\t4"));
        return p;
    }

    /** Frames whose channel values encode position: (row + 2 col + 50 frame + 85 channel) mod 256. */
    static DecodedVideo gradient(int frames, int h, int w) {
        List<byte[]> out = new ArrayList<>();
        for (int t = 0; t < frames; t++) {
            byte[] f = new byte[h * w * 3];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int c = 0; c < 3; c++) {
                        f[(y * w + x) * 3 + c] = (byte) ((y + 2 * x + 50 * t + 85 * c) & 0xff);
                    }
                }
            }
            out.add(f);
        }
        return new DecodedVideo(out, h, w, 8);
    }
}

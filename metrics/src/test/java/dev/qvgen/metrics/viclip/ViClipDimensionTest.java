package dev.qvgen.metrics.viclip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.qvgen.metrics.MetricRegistry;
import dev.qvgen.metrics.TestResources;
import dev.qvgen.metrics.backbone.ClipTokenizer;
import dev.qvgen.metrics.backbone.DinoVisionTransformer;
import dev.qvgen.metrics.eval.EvalRecord;
import dev.qvgen.metrics.eval.VBenchEvaluation;
import dev.qvgen.metrics.vbench.VBenchBackbones;
import dev.qvgen.metrics.vbench.ViClipSimilarity;
import dev.qvgen.video.DecodedVideo;
import dev.qvgen.video.Mp4Writer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** overall_consistency / temporal_style as registered dimensions: availability, real MP4s, VBench's JSON. */
class ViClipDimensionTest {
    static final String HELLO = "hello";
    static final String LONG = "a very long prompt that the tokenizer truncates to thirty two tokens at the end";
    static final DinoVisionTransformer.Config TOY_DINO = new DinoVisionTransformer.Config(16, 64, 2, 4, 4.0, 1e-6f);

    @Test
    void availableOnlyWithViclipWeightsAndBpe() {
        Path bpe = TestResources.torch("bpe_tiny.txt");
        Path toy = ViClipParityTest.resource("viclip_toy.pth");
        try (VBenchBackbones none = new VBenchBackbones(VBenchBackbones.Weights.none());
                VBenchBackbones noBpe = new VBenchBackbones(new VBenchBackbones.Weights(null, null, null, null, null,
                        null, TOY_DINO, toy));
                VBenchBackbones both = new VBenchBackbones(new VBenchBackbones.Weights(null, null, null, null, null,
                        bpe, TOY_DINO, toy))) {
            for (String d : List.of(ViClipSimilarity.OVERALL_CONSISTENCY, ViClipSimilarity.TEMPORAL_STYLE)) {
                String why = MetricRegistry.vbench(none).get(d).unavailableReason().orElseThrow();
                assertTrue(why.contains("--viclip") && why.contains("--clip-bpe"), why);
                assertTrue(MetricRegistry.vbench(noBpe).get(d).unavailableReason().isPresent());
                assertTrue(MetricRegistry.vbench(both).get(d).unavailableReason().isEmpty());
                assertInstanceOf(ViClipSimilarity.class, MetricRegistry.vbench(both).get(d));
            }
            both.preload(List.of(ViClipSimilarity.OVERALL_CONSISTENCY)); // loads the toy checkpoint
        }
    }

    /** The fixture's synthetic video, through a real MP4 (lossy), scored by a whole evaluation run. */
    @Test
    void evaluationWritesVBenchLayoutWithScoresInUnitRange(@TempDir Path dir) throws IOException {
        JsonObject golden = JsonParser.parseString(Files.readString(ViClipParityTest.resource("golden.json")))
                .getAsJsonObject();
        Path videos = Files.createDirectories(dir.resolve("videos"));
        try (NDManager m = NDManager.newBaseManager();
                var tensors = dev.qvgen.layers.io.SafeTensorsFile.open(ViClipParityTest.resource("golden.safetensors"))) {
            DecodedVideo video = ViClipParityTest.fixtureVideo(golden, tensors);
            float[][][][] frames = video.toFloats();
            Mp4Writer.write(videos.resolve(HELLO + "-0.mp4"), frames, 8);
            Mp4Writer.write(videos.resolve(LONG + "-0.mp4"), frames, 8);

            ViClip model = ViClipParityTest.loadToy(golden, m);
            ClipTokenizer tok = ClipTokenizer.load(TestResources.torch("bpe_tiny.txt"));
            MetricRegistry registry = new MetricRegistry()
                    .register(new ViClipSimilarity(ViClipSimilarity.OVERALL_CONSISTENCY, () -> model, () -> tok, ai.djl.Device.cpu()))
                    .register(new ViClipSimilarity(ViClipSimilarity.TEMPORAL_STYLE, () -> model, () -> tok, ai.djl.Device.cpu()));
            List<String> dims = List.of(ViClipSimilarity.OVERALL_CONSISTENCY, ViClipSimilarity.TEMPORAL_STYLE);
            Path out = dir.resolve("out");
            VBenchEvaluation.Summary s = VBenchEvaluation.run(
                    new VBenchEvaluation.Options(videos, null, dims, out, "viclip", 2), registry,
                    new VBenchEvaluation.Listener() {
                        @Override
                        public void started(int total, int alreadyDone) {
                        }

                        @Override
                        public void finished(EvalRecord record) {
                            assertTrue(record.ok(), record.error());
                        }
                    });
            assertEquals(2, s.videos());
            assertEquals(0, s.failed());

            JsonObject eval = JsonParser.parseString(Files.readString(s.evalResults())).getAsJsonObject();
            JsonObject refScores = golden.getAsJsonObject("scores");
            for (String d : dims) {
                JsonArray pair = eval.getAsJsonArray(d);
                assertEquals(2, pair.size(), "[mean, video results]");
                JsonArray rows = pair.get(1).getAsJsonArray();
                assertEquals(2, rows.size());
                double sum = 0;
                for (var e : rows) {
                    JsonObject o = e.getAsJsonObject();
                    assertEquals(2, o.size(), "video_path and video_results only: " + o);
                    String path = o.get("video_path").getAsString();
                    double v = o.get("video_results").getAsDouble();
                    assertTrue(v >= 0 && v <= 1, d + " " + v);
                    String prompt = path.endsWith("/" + HELLO + "-0.mp4") ? HELLO : LONG;
                    double ref = refScores.getAsJsonObject(prompt).get(d).getAsDouble();
                    System.out.printf("%s %s mp4=%.6f raw frames (VBench)=%.6f%n", d, prompt, v, ref);
                    // H.264 at CRF 10 moves pixels by a level or two: the cosine stays close
                    assertEquals(ref, v, 0.02, d + " of " + prompt);
                    sum += v;
                }
                assertEquals(sum / 2, pair.get(0).getAsDouble(), 1e-12, "the plain mean over videos");
            }
            JsonObject scores = JsonParser.parseString(Files.readString(s.scores())).getAsJsonObject()
                    .getAsJsonObject("dimensions");
            for (String d : dims) {
                JsonObject o = scores.getAsJsonObject(d);
                // VBench's normalisation of both: mean / 0.364
                assertEquals(o.get("mean").getAsDouble() / 0.364, o.get("normalized").getAsDouble(), 1e-9);
            }
        }
    }
}

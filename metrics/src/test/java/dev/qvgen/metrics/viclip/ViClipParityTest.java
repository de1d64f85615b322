package dev.qvgen.metrics.viclip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.TestResources;
import dev.qvgen.metrics.backbone.ClipModel;
import dev.qvgen.metrics.backbone.ClipTokenizer;
import dev.qvgen.metrics.backbone.VBenchTransforms;
import dev.qvgen.metrics.vbench.FrameSampling;
import dev.qvgen.metrics.vbench.ViClipSimilarity;
import dev.qvgen.video.DecodedVideo;
import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.nn.Tensors;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The DJL ViCLIP against VBench's reference code (src/test/resources/viclip/make_fixture.py: a
 * toy-size random ViCLIP, the towers on random inputs, and VBench's overall_consistency /
 * temporal_style on a synthetic 13-frame video): rel L2 < 1e-4.
 */
class ViClipParityTest {
    static final double TOL = 1e-4;

    static JsonObject golden;
    static NDManager manager;
    static ViClip model;
    static SafeTensorsFile tensors;

    static Path resource(String name) {
        try {
            return Path.of(ViClipParityTest.class.getResource("/viclip/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource /viclip/" + name, e);
        }
    }

    /** The toy model with its heads from golden.json (the weights do not say; width / 64 would be 1). */
    static ViClip loadToy(JsonObject golden, NDManager m) {
        return ViClip.load(resource("viclip_toy.pth"), golden.get("vision_heads").getAsInt(),
                golden.get("text_heads").getAsInt(), m);
    }

    @BeforeAll
    static void load() throws IOException {
        golden = JsonParser.parseString(Files.readString(resource("golden.json"))).getAsJsonObject();
        manager = NDManager.newBaseManager();
        model = loadToy(golden, manager);
        tensors = SafeTensorsFile.open(resource("golden.safetensors"));
    }

    @AfterAll
    static void close() {
        tensors.close();
        manager.close();
    }

    /** (…, 28, 28) blown up 8x by repetition, as the fixture made its 224-px inputs. */
    static NDArray up8(NDArray x) {
        return x.repeat(-1, 8).repeat(-2, 8);
    }

    static void check(String what, double err) {
        System.out.printf("viclip %s rel_l2=%.3e%n", what, err);
        assertTrue(err < TOL, what + " rel L2 " + err);
    }

    @Test
    void configIsReadFromTheCheckpointShapes() {
        ViClip.Config c = model.config();
        assertEquals(golden.get("input_resolution").getAsInt(), c.inputResolution());
        assertEquals(golden.get("patch_size").getAsInt(), c.patchSize());
        assertEquals(golden.get("vision_width").getAsInt(), c.visionWidth());
        assertEquals(golden.get("vision_layers").getAsInt(), c.visionLayers());
        assertEquals(golden.get("num_frames").getAsInt(), c.numFrames());
        assertEquals(golden.get("embed_dim").getAsInt(), c.embedDim());
        assertEquals(golden.get("text_layers").getAsInt(), c.textLayers());
        assertEquals(golden.get("context_length").getAsInt(), c.contextLength());
        assertEquals(golden.get("vocab_size").getAsInt(), c.vocabSize());
    }

    @Test
    void towersMatchTheReference() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray video = model.encodeVision(up8(tensors.load("video_small", m)));
            check("video_embeds", Tensors.relativeL2(video, tensors.load("video_embeds", m)));
            NDArray image = model.encodeVision(up8(tensors.load("image_small", m)));
            check("image_embeds (T=1)", Tensors.relativeL2(image, tensors.load("image_embeds", m)));
            float[] ids = tensors.load("text_ids", m).toFloatArray();
            int ctx = model.config().contextLength();
            long[][] tokens = new long[ids.length / ctx][ctx];
            for (int i = 0; i < ids.length; i++) {
                tokens[i / ctx][i % ctx] = Math.round(ids[i]);
            }
            NDArray text = model.encodeText(tokens, m);
            check("text_embeds", Tensors.relativeL2(text, tensors.load("text_embeds", m)));
            NDArray sim = ClipModel.l2Normalize(video).matMul(ClipModel.l2Normalize(text).transpose());
            check("similarity", Tensors.relativeL2(sim, tensors.load("similarity", m)));
        }
    }

    /** The fixture's synthetic uint8 video (13 frames, 36x50). */
    static DecodedVideo fixtureVideo(JsonObject golden, SafeTensorsFile tensors) {
        JsonObject v = golden.getAsJsonObject("video");
        int t = v.get("frames").getAsInt();
        int h = v.get("height").getAsInt();
        int w = v.get("width").getAsInt();
        try (NDManager m = NDManager.newBaseManager()) {
            float[] all = tensors.load("frames", m).toFloatArray();
            List<byte[]> frames = new ArrayList<>();
            for (int f = 0; f < t; f++) {
                byte[] b = new byte[h * w * 3];
                for (int i = 0; i < b.length; i++) {
                    b[i] = (byte) Math.round(all[f * b.length + i]);
                }
                frames.add(b);
            }
            return new DecodedVideo(frames, h, w, v.get("fps").getAsDouble());
        }
    }

    @Test
    void samplingAndPreprocessingMatchVBench() {
        DecodedVideo video = fixtureVideo(golden, tensors);
        int[] idx = FrameSampling.middle(8, video.frameCount());
        try (NDManager m = NDManager.newBaseManager()) {
            float[] ref = tensors.load("frame_indices", m).toFloatArray();
            int[] expected = new int[ref.length];
            for (int i = 0; i < ref.length; i++) {
                expected[i] = Math.round(ref[i]);
            }
            assertArrayEquals(expected, idx);
            int n = model.config().inputResolution();
            float[] sub = tensors.load("frames_transformed_sub4", m).toFloatArray();
            int s = (n + 3) / 4;
            float[] mine = new float[sub.length];
            for (int f = 0; f < idx.length; f++) {
                float[] chw = VBenchTransforms.clipUint8(video, idx[f], n).chw();
                for (int c = 0; c < 3; c++) {
                    for (int y = 0; y < s; y++) {
                        for (int x = 0; x < s; x++) {
                            mine[((f * 3 + c) * s + y) * s + x] = chw[(c * n + 4 * y) * n + 4 * x];
                        }
                    }
                }
            }
            double maxAbs = 0;
            int off = 0; // values a uint8 rounding step apart (a float resize landing on the other side of .5)
            for (int i = 0; i < sub.length; i++) {
                double d = Math.abs(mine[i] - sub[i]);
                maxAbs = Math.max(maxAbs, d);
                if (d > 1e-4) {
                    off++;
                    if (off <= 5) {
                        System.out.printf("  differs at %d: %.6f vs %.6f%n", i, mine[i], sub[i]);
                    }
                }
            }
            double err = Tensors.relativeL2(m.create(mine), m.create(sub));
            System.out.printf("viclip clip_transform(uint8) rel_l2=%.3e max_abs=%.3e off_by_one_level=%d/%d%n", err,
                    maxAbs, off, sub.length);
            assertTrue(err < TOL, "preprocessed frames rel L2 " + err);
            float[] emb = ViClipSimilarity.encodeVideo(model, video, idx, ai.djl.Device.cpu());
            check("pipeline video_embeds", Tensors.relativeL2(m.create(emb, new Shape(1, emb.length)),
                    tensors.load("pipeline_video_embeds", m)));
        }
    }

    @Test
    void tokensTextFeaturesAndScoresMatchVBench() {
        ClipTokenizer tok = ClipTokenizer.load(TestResources.torch("bpe_tiny.txt"));
        JsonArray prompts = golden.getAsJsonArray("prompts");
        JsonObject refTokens = golden.getAsJsonObject("tokens");
        JsonObject refScores = golden.getAsJsonObject("scores");
        int ctx = model.config().contextLength();
        DecodedVideo video = fixtureVideo(golden, tensors);
        ViClipSimilarity overall = new ViClipSimilarity(ViClipSimilarity.OVERALL_CONSISTENCY, () -> model, () -> tok, ai.djl.Device.cpu());
        ViClipSimilarity style = new ViClipSimilarity(ViClipSimilarity.TEMPORAL_STYLE, () -> model, () -> tok, ai.djl.Device.cpu());
        try (NDManager m = NDManager.newBaseManager()) {
            long[][] all = new long[prompts.size()][];
            double diff2 = 0;
            double ref2 = 0;
            for (int p = 0; p < prompts.size(); p++) {
                String prompt = prompts.get(p).getAsString();
                JsonArray ref = refTokens.getAsJsonArray(prompt);
                long[] expected = new long[ref.size()];
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = ref.get(i).getAsLong();
                }
                all[p] = ViClip.tokenize(tok, prompt, ctx);
                assertArrayEquals(expected, all[p], "tokens of '" + prompt + "'");
                double want = refScores.getAsJsonObject(prompt).get("overall_consistency").getAsDouble();
                MetricResult a = overall.score(video, MetricContext.ofCaption(prompt));
                MetricResult b = style.score(video, MetricContext.ofCaption(prompt));
                assertEquals(a.value(), b.value(), 0.0, "the two dimensions compute the same thing");
                assertEquals(want, refScores.getAsJsonObject(prompt).get("temporal_style").getAsDouble(), 0.0);
                double abs = Math.abs(a.value() - want);
                System.out.printf("viclip score '%s' java=%.8f vbench=%.8f abs=%.3e%n", prompt, a.value(), want, abs);
                // a cosine near 0 makes its own relative error meaningless: absolute error per score,
                // relative L2 over the scores (both limited by a few uint8 rounding flips in the resize)
                assertTrue(abs < 1e-5, "score abs error " + abs);
                diff2 += abs * abs;
                ref2 += want * want;
                assertTrue(a.value() >= 0 && a.value() <= 1, "score " + a.value());
            }
            check("scores", Math.sqrt(diff2 / ref2));
            check("prompt_text_embeds", Tensors.relativeL2(model.encodeText(all, m),
                    tensors.load("prompt_text_embeds", m)));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> overall.score(video, MetricContext.none()));
        assertTrue(e.getMessage().contains("overall_consistency"), e.getMessage());
    }

    @Test
    void truncationKeepsTheEndTokenLast() {
        ClipTokenizer tok = ClipTokenizer.load(TestResources.torch("bpe_tiny.txt"));
        long[] exact = ViClip.tokenize(tok, "abcdef", 8); // 6 byte tokens + sot + eot: fits exactly
        assertEquals(tok.endOfText(), exact[7]);
        long[] cut = ViClip.tokenize(tok, "abcdefg", 8);
        assertEquals(tok.startOfText(), cut[0]);
        assertEquals(tok.endOfText(), cut[7]);
        // sot a b c d e agree; then "f</w>" ends the exact word where the cut one holds "f" and then eot
        assertArrayEquals(java.util.Arrays.copyOfRange(exact, 0, 6), java.util.Arrays.copyOfRange(cut, 0, 6));
        assertTrue(exact[6] != cut[6]);
    }

    @Test
    void middleSamplingPadsShortVideos() {
        assertArrayEquals(new int[] {0, 1, 3, 4, 6, 8, 9, 11}, FrameSampling.middle(8, 13));
        assertArrayEquals(new int[] {0, 1, 2, 2, 2, 2, 2, 2}, FrameSampling.middle(8, 3));
        assertArrayEquals(new int[] {0, 2, 4, 6, 8, 10, 12, 14}, FrameSampling.middle(8, 16));
    }

    @Test
    void rejectsWrongInputsAndFiles() {
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.encodeVision(m.zeros(new Shape(1, 4, 3, 224, 224))));
            assertTrue(e.getMessage().contains("(B, 8 or 1, 3, 224, 224)"), e.getMessage());
            CheckpointException c = assertThrows(CheckpointException.class,
                    () -> ViClip.load(TestResources.torch("aesthetic_head_constant5.pth"), null, null, m));
            assertTrue(c.getMessage().contains("not a ViCLIP checkpoint"), c.getMessage());
        }
    }
}

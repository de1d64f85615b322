package dev.qvgen.metrics.musiq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricRegistry;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.eval.EvalRecord;
import dev.qvgen.metrics.eval.VBenchEvaluation;
import dev.qvgen.metrics.vbench.ImagingQuality;
import dev.qvgen.metrics.vbench.VBenchBackbones;
import dev.qvgen.video.DecodedVideo;
import dev.qvgen.video.Mp4Writer;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * The DJL MUSIQ against pyiqa's reference code and VBench's imaging_quality
 * (src/test/resources/musiq/make_fixture.py: a toy-size random MUSIQ, the multi-scale patches,
 * the hashed positions, the model on two images and technical_quality on two synthetic
 * videos): rel L2 &lt; 1e-4.
 */
class MusiqParityTest {
    static final double TOL = 1e-4;

    static JsonObject golden;
    static NDManager manager;
    static Musiq model;
    static SafeTensorsFile tensors;

    static Path resource(String name) {
        try {
            return Path.of(MusiqParityTest.class.getResource("/musiq/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource /musiq/" + name, e);
        }
    }

    @BeforeAll
    static void load() throws IOException {
        golden = JsonParser.parseString(Files.readString(resource("golden.json"))).getAsJsonObject();
        manager = NDManager.newBaseManager();
        model = Musiq.load(resource("musiq_toy.pth"), golden.getAsJsonObject("config").get("num_heads").getAsInt(),
                manager);
        tensors = SafeTensorsFile.open(resource("golden.safetensors"));
    }

    @AfterAll
    static void close() {
        tensors.close();
        manager.close();
    }

    static void check(String what, double rel) {
        System.out.printf("musiq %s rel_l2=%.3e%n", what, rel);
        assertTrue(rel < TOL, what + " rel_l2=" + rel);
    }

    @Test
    void configReadOffTheCheckpoint() {
        JsonObject c = golden.getAsJsonObject("config");
        Musiq.Config m = model.config();
        assertEquals(c.get("patch_size").getAsInt(), m.patchSize());
        assertEquals(c.get("hidden_size").getAsInt(), m.hiddenSize());
        assertEquals(c.get("mlp_dim").getAsInt(), m.mlpDim());
        assertEquals(c.get("num_layers").getAsInt(), m.numLayers());
        assertEquals(c.get("num_scales").getAsInt(), m.numScales());
        assertEquals(c.get("spatial_pos_grid_size").getAsInt(), m.gridSize());
        assertEquals(1, m.numClass());
        assertEquals(List.of(224, 384), m.longerSides());
        assertEquals(-1, m.maxSeqLenFromOriginalRes());
    }

    @Test
    void hashedPositionsMatchPyiqa() {
        int grid = golden.get("hash_grid").getAsInt();
        try (NDManager m = manager.newSubManager()) {
            for (var e : golden.getAsJsonArray("hash_counts")) {
                int ch = e.getAsJsonArray().get(0).getAsInt();
                int cw = e.getAsJsonArray().get(1).getAsInt();
                int[] ref = toInts(tensors.load("hash_" + ch + "x" + cw, m).toFloatArray());
                assertArrayEquals(ref, MusiqPatches.hashedPositions(grid, ch, cw), ch + "x" + cw);
            }
        }
    }

    /** Hand-computed: a 2x3 grid hashed onto 10x10 takes rows {0, 5} and columns {0, 3, 6}. */
    @Test
    void hashedPositionsByHand() {
        assertArrayEquals(new int[] {0, 3, 6, 50, 53, 56}, MusiqPatches.hashedPositions(10, 2, 3));
        // a grid finer than the table repeats entries: 20 columns map to 0,0,1,1,...
        int[] wide = MusiqPatches.hashedPositions(10, 1, 20);
        assertEquals(0, wide[1]);
        assertEquals(9, wide[19]);
    }

    /** Hand-computed: a 3x5 image with 2-px patches is padded by one zero row at the bottom, one column right. */
    @Test
    void patchExtractionPadsLikeTensorFlowSame() {
        float[] img = new float[3 * 3 * 5];
        for (int i = 0; i < img.length; i++) {
            img[i] = i + 1;
        }
        MusiqPatches.Sequence s = MusiqPatches.scale(img, 3, 5, 2, 2, 10, 1);
        assertEquals(6, s.length()); // 2 rows x 3 columns of patches
        // patch (0, 0), channel 0: pixels (0,0) (0,1) (1,0) (1,1)
        assertArrayEquals(new float[] {1, 2, 6, 7}, java.util.Arrays.copyOfRange(s.pixels(), 0, 4));
        // patch (1, 2) (the last), channel 2: pixel (2, 4) then padding
        int last = 5 * 12 + 2 * 4;
        assertArrayEquals(new float[] {30 + 15, 0, 0, 0}, java.util.Arrays.copyOfRange(s.pixels(), last, last + 4));
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1}, s.scale());
        MusiqPatches.Sequence fitted = MusiqPatches.fit(s, 9);
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 0, 0, 0}, fitted.mask());
        assertEquals(4, MusiqPatches.fit(s, 4).length());
    }

    @Test
    void multiscalePatchesMatchPyiqa() {
        JsonArray sizes = golden.getAsJsonArray("image_sizes");
        List<Integer> small = new ArrayList<>();
        golden.getAsJsonArray("small_longer_side_lengths").forEach(e -> small.add(e.getAsInt()));
        try (NDManager m = manager.newSubManager()) {
            for (int i = 0; i < sizes.size(); i++) {
                int h = sizes.get(i).getAsJsonArray().get(0).getAsInt();
                int w = sizes.get(i).getAsJsonArray().get(1).getAsInt();
                float[] img = tensors.load("image" + i, m).toFloatArray();
                float[] x = new float[img.length];
                for (int k = 0; k < x.length; k++) {
                    x[k] = (img[k] - 0.5f) * 2f;
                }
                MusiqPatches.Sequence s = MusiqPatches.extract(x, h, w, 32, 32, 10, small, -1);
                NDArray ref = tensors.load("patches" + i + "_small", m);
                long dim = ref.getShape().get(2);
                assertEquals(new Shape(1, s.length(), 32 * 32 * 3 + 3), ref.getShape());
                check("patches" + i + " (sides 48, 80)", Tensors.relativeL2(
                        m.create(s.pixels(), new Shape(1, s.length(), dim - 3)), ref.get(":, :, :" + (dim - 3))));
                assertMeta(s, ref.get(":, :, " + (dim - 3) + ":"), "small " + i);

                MusiqPatches.Sequence full = model.patches(img, h, w);
                assertMeta(full, tensors.load("meta" + i, m), "224/384 " + i);
            }
        }
    }

    private static void assertMeta(MusiqPatches.Sequence s, NDArray ref, String what) {
        float[] r = ref.toFloatArray();
        assertEquals(3L * s.length(), r.length, what + ": sequence length");
        for (int k = 0; k < s.length(); k++) {
            assertEquals((int) r[3 * k], s.spatial()[k], what + " spatial " + k);
            assertEquals((int) r[3 * k + 1], s.scale()[k], what + " scale " + k);
            assertEquals((int) r[3 * k + 2], s.mask()[k], what + " mask " + k);
        }
    }

    @Test
    void modelMatchesPyiqa() {
        JsonArray sizes = golden.getAsJsonArray("image_sizes");
        try (NDManager m = manager.newSubManager()) {
            for (int i = 0; i < sizes.size(); i++) {
                int h = sizes.get(i).getAsJsonArray().get(0).getAsInt();
                int w = sizes.get(i).getAsJsonArray().get(1).getAsInt();
                float[] img = tensors.load("image" + i, m).toFloatArray();
                NDArray cls = model.forwardCls(model.patches(img, h, w), m);
                check("cls" + i, Tensors.relativeL2(cls, tensors.load("cls" + i, m)));
                check("score" + i, Tensors.relativeL2(model.mos(cls), tensors.load("score" + i, m)));
                double s = model.score(img, h, w, m);
                assertEquals(golden.getAsJsonArray("scores").get(i).getAsDouble(), s,
                        1e-4 * Math.abs(s), "score " + i);
            }
        }
    }

    static DecodedVideo fixtureVideo(String name) {
        try (NDManager m = manager.newSubManager()) {
            NDArray v = tensors.load("video_" + name, m);
            Shape s = v.getShape();
            int t = (int) s.get(0);
            int h = (int) s.get(1);
            int w = (int) s.get(2);
            float[] all = v.toFloatArray();
            List<byte[]> frames = new ArrayList<>();
            for (int f = 0; f < t; f++) {
                byte[] rgb = new byte[h * w * 3];
                for (int k = 0; k < rgb.length; k++) {
                    rgb[k] = (byte) Math.round(all[f * rgb.length + k]);
                }
                frames.add(rgb);
            }
            return new DecodedVideo(frames, h, w, 8);
        }
    }

    /** VBench's technical_quality on the raw synthetic frames (one of them resized from 520 to 512 wide). */
    @Test
    void imagingQualityMatchesVBench() {
        JsonObject iq = golden.getAsJsonObject("imaging_quality");
        ImagingQuality metric = new ImagingQuality(() -> model, ai.djl.Device.cpu());
        double sum = 0;
        for (var e : iq.getAsJsonArray("video_results")) {
            JsonObject o = e.getAsJsonObject();
            String path = o.get("video_path").getAsString();
            MetricResult r = metric.score(fixtureVideo(path.substring(0, path.indexOf('-'))), MetricContext.none());
            double ref = o.get("video_results").getAsDouble();
            double raw = Double.parseDouble(r.details().get("mean_musiq"));
            check("imaging_quality " + path + " (" + r.details().get("input_size") + ")",
                    Math.abs(raw - ref) / Math.abs(ref));
            assertEquals(raw / 100, r.value(), 1e-12);
            sum += r.value();
        }
        double avg = sum / iq.getAsJsonArray("video_results").size();
        check("imaging_quality average", Math.abs(avg - iq.get("average").getAsDouble()) / iq.get("average").getAsDouble());
    }

    @Test
    void registeredOnlyWithMusiqWeights() {
        try (VBenchBackbones none = new VBenchBackbones(VBenchBackbones.Weights.none());
                VBenchBackbones with = new VBenchBackbones(new VBenchBackbones.Weights(null, null, null, null, null,
                        null, VBenchBackbones.Weights.none().dinoConfig(), null, resource("musiq_toy.pth")))) {
            String why = MetricRegistry.vbench(none).get(ImagingQuality.NAME).unavailableReason().orElseThrow();
            assertTrue(why.contains("--musiq"), why);
            assertInstanceOf(ImagingQuality.class, MetricRegistry.vbench(with).get(ImagingQuality.NAME));
            with.preload(List.of(ImagingQuality.NAME)); // loads the toy checkpoint
        }
    }

    @Test
    void wrongCheckpointNamesFile() {
        Path other = ViClipResource.path();
        CheckpointException e = assertThrows(CheckpointException.class, () -> Musiq.load(other, null, manager));
        assertTrue(e.getMessage().contains("not a MUSIQ checkpoint"), e.getMessage());
    }

    /** The whole evaluation on MP4s: VBench's JSON layout (raw per-video means, dimension mean / 100). */
    @Test
    void evaluationWritesVBenchLayout(@TempDir Path dir) throws IOException {
        Path videos = Files.createDirectories(dir.resolve("videos"));
        Mp4Writer.write(videos.resolve("a cat-0.mp4"), fixtureVideo("clip_a").toFloats(), 8);
        Mp4Writer.write(videos.resolve("a dog-0.mp4"), fixtureVideo("clip_b").toFloats(), 8);
        MetricRegistry registry = new MetricRegistry().register(new ImagingQuality(() -> model, ai.djl.Device.cpu()));
        List<String> dims = List.of(ImagingQuality.NAME);
        VBenchEvaluation.Summary s = VBenchEvaluation.run(
                new VBenchEvaluation.Options(videos, null, dims, dir.resolve("out"), "musiq", 1), registry,
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
        JsonObject eval = JsonParser.parseString(Files.readString(s.evalResults())).getAsJsonObject();
        JsonArray pair = eval.getAsJsonArray(ImagingQuality.NAME);
        assertEquals(2, pair.size(), "[mean, video results]");
        JsonArray rows = pair.get(1).getAsJsonArray();
        assertEquals(2, rows.size());
        double sum = 0;
        for (var e : rows) {
            JsonObject o = e.getAsJsonObject();
            assertEquals(2, o.size(), "video_path and video_results only: " + o);
            double v = o.get("video_results").getAsDouble();
            System.out.printf("musiq mp4 %s video_results=%.6f%n", o.get("video_path").getAsString(), v);
            assertTrue(Double.isFinite(v) && v != 0);
            sum += v;
        }
        // VBench: video_results are raw MUSIQ means, the dimension is their mean / 100
        assertEquals(sum / 2 / 100, pair.get(0).getAsDouble(), 1e-12);
    }

    private static int[] toInts(float[] f) {
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = Math.round(f[i]);
        }
        return out;
    }

    /** Another model's checkpoint (the ViCLIP toy) to feed the MUSIQ loader. */
    private static final class ViClipResource {
        static Path path() {
            try {
                return Path.of(MusiqParityTest.class.getResource("/viclip/viclip_toy.pth").toURI());
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}

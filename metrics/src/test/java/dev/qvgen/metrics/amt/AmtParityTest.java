package dev.qvgen.metrics.amt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricRegistry;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.metrics.ops.ReplicatePadder;
import dev.qvgen.metrics.vbench.VBenchBackbones;
import dev.qvgen.video.DecodedVideo;
import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.nn.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AMT-S and motion_smoothness against VBench's PyTorch code with random full-size weights
 * (src/test/resources/amt/make_fixture.py): 5 frames of 120x150, padded to 128x160.
 */
class AmtParityTest {
    static final Path DIR = Path.of("metrics/src/test/resources/amt");
    static final int T = 5;
    static final int H = 120;
    static final int W = 150;

    private static NDManager manager;
    private static AmtS model;
    private static SafeTensorsFile golden;
    private static List<byte[]> frames;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        model = AmtS.load(DIR.resolve("amt-s.pth"), manager);
        golden = SafeTensorsFile.open(DIR.resolve("golden.safetensors"));
        byte[] all = golden.load("frames", manager).toByteArray();
        assertEquals(T * H * W * 3, all.length);
        frames = new ArrayList<>();
        for (int t = 0; t < T; t++) {
            byte[] f = new byte[H * W * 3];
            System.arraycopy(all, t * f.length, f, 0, f.length);
            frames.add(f);
        }
    }

    @AfterAll
    static void close() {
        if (golden != null) {
            golden.close();
        }
        if (manager != null) {
            manager.close();
        }
    }

    @Test
    void interpolatedFramesMatchVbench() {
        ReplicatePadder padder = new ReplicatePadder(H, W, 16);
        assertEquals(128, padder.paddedHeight());
        assertEquals(160, padder.paddedWidth());
        NDArray expectedAll = golden.load("imgt_pred", manager);
        for (int pair = 0; pair < 2; pair++) {
            try (NDManager m = manager.newSubManager()) {
                NDArray img0 = padder.pad(MotionSmoothness.toTensor(m, frames.get(2 * pair), H, W));
                NDArray img1 = padder.pad(MotionSmoothness.toTensor(m, frames.get(2 * pair + 2), H, W));
                Map<String, NDArray> debug = new LinkedHashMap<>();
                long start = System.nanoTime();
                NDArray pred = model.interpolate(img0, img1, debug);
                double seconds = (System.nanoTime() - start) / 1e9;
                if (pair == 0) {
                    // intermediates first, so a mismatch points at the stage that introduced it
                    int compared = 0;
                    for (var e : debug.entrySet()) {
                        if (!golden.names().contains("pair0." + e.getKey())) {
                            continue; // the fixture keeps a subset to stay small
                        }
                        compared++;
                        NDArray expected = golden.load("pair0." + e.getKey(), m);
                        assertEquals(expected.getShape(), e.getValue().getShape(), e.getKey());
                        double err = Tensors.relativeL2(e.getValue(), expected);
                        System.out.printf("amt pair0 %s rel_l2=%.3g%n", e.getKey(), err);
                        assertTrue(err < 1e-4, e.getKey() + " rel_l2=" + err);
                    }
                    assertEquals(15, compared, "every stage in the fixture is compared");
                }
                NDArray expected = expectedAll.get(pair).expandDims(0);
                double err = Tensors.relativeL2(pred, expected);
                System.out.printf("amt imgt_pred pair %d rel_l2=%.3g (%.2f s)%n", pair, err, seconds);
                assertTrue(err < 1e-4, "imgt_pred rel_l2=" + err);
            }
        }
    }

    @Test
    void motionSmoothnessMatchesVbenchScore() {
        NDArray expectedInterp = golden.load("interpolated", manager);
        double expectedScore = golden.load("score", manager).toType(ai.djl.ndarray.types.DataType.FLOAT64, false)
                .getDouble(0);
        try (MotionSmoothness metric = MotionSmoothness.load(DIR.resolve("amt-s.pth"))) {
            ReplicatePadder padder = new ReplicatePadder(H, W, 16);
            byte[] interp = metric.interpolate(padder, frames.get(0), frames.get(2), H, W);
            byte[] want = expectedInterp.get(0).toByteArray();
            int off = 0;
            for (int i = 0; i < want.length; i++) {
                off += want[i] != interp[i] ? 1 : 0;
            }
            System.out.printf("amt interpolated uint8: %d of %d values differ%n", off, want.length);
            // truncation to uint8 can flip a value sitting on an integer boundary, nothing more
            assertTrue(off <= want.length / 1000, off + " values differ");

            MetricResult r = metric.score(new DecodedVideo(frames, H, W, 8.0), MetricContext.none());
            System.out.printf("amt motion_smoothness=%.9f vbench=%.9f%n", r.value(), expectedScore);
            assertEquals(expectedScore, r.value(), 1e-5);
            assertEquals("2", r.details().get("interpolated_frames"));
        }
    }

    @Test
    void registryUsesAmtWhenWeightsAreGiven() {
        try (VBenchBackbones none = new VBenchBackbones(VBenchBackbones.Weights.none());
                VBenchBackbones withAmt = new VBenchBackbones(
                        VBenchBackbones.Weights.none().withAmt(DIR.resolve("amt-s.pth")))) {
            assertTrue(MetricRegistry.vbench(none).get(MotionSmoothness.NAME).unavailableReason().orElseThrow()
                    .contains("--amt"));
            VideoMetric metric = MetricRegistry.vbench(withAmt).get(MotionSmoothness.NAME);
            assertTrue(metric instanceof MotionSmoothness);
            assertTrue(metric.unavailableReason().isEmpty());
            ((MotionSmoothness) metric).close();
        }
    }

    @Test
    void tooFewFramesGiveNaNAndTinyFramesAreRejected() {
        try (MotionSmoothness metric = MotionSmoothness.load(DIR.resolve("amt-s.pth"))) {
            MetricResult r = metric.score(new DecodedVideo(frames.subList(0, 2), H, W, 8.0), MetricContext.none());
            assertTrue(Double.isNaN(r.value()));
            byte[] tiny = new byte[40 * 40 * 3];
            DecodedVideo small = new DecodedVideo(List.of(tiny, tiny, tiny), 40, 40, 8.0);
            assertThrows(IllegalArgumentException.class, () -> metric.score(small, MetricContext.none()));
        }
    }

    @Test
    void wrongWeightsFileNamesTheFile(@TempDir Path tmp) throws Exception {
        Path missing = tmp.resolve("amt-s.pth");
        CheckpointException e = assertThrows(CheckpointException.class, () -> MotionSmoothness.load(missing));
        assertTrue(e.getMessage().contains("amt-s.pth"), e.getMessage());
        // a RAFT checkpoint is a valid torch file with the wrong tensors
        Path raft = Path.of("../shared/fixtures/metrics/raft/raft-things.pth");
        if (Files.isRegularFile(raft)) {
            CheckpointException wrong = assertThrows(CheckpointException.class, () -> MotionSmoothness.load(raft));
            assertTrue(wrong.getMessage().contains("raft-things.pth"), wrong.getMessage());
        }
    }
}

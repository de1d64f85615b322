package dev.qvgen.metrics.raft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricRegistry;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.ToyClips;
import dev.qvgen.metrics.vbench.DynamicDegree;
import dev.qvgen.metrics.vbench.OpticalFlow;
import dev.qvgen.video.DecodedVideo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * VBench's dynamic_degree decision on RAFT-shaped flow: synthetic (1, 2, H, W) flow fields on
 * the padded grid go through RAFT's magnitude step and VBench's thresholds. (RAFT with random
 * weights says nothing about real motion, so the model itself is only run where the outcome is
 * fixed by its arithmetic: NaN on small frames.)
 */
class RaftDynamicDegreeTest {
    static final Path WEIGHTS = RaftParityTest.DIR.resolve("raft-things.pth");

    @Test
    void magnitudesAreTheEuclideanLengthOfEachFlowVector() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray flow = m.create(new float[] {3, 0, -6, 1, 4, 2, 8, 0}, new Shape(1, 2, 2, 2));
            assertArrayEquals(new float[] {5, 2, 10, 1}, RaftFlow.magnitudes(flow), 1e-6f);
        }
    }

    @Test
    void syntheticFlowFieldsAreThresholdedOnThePaddedGridWithTheUnpaddedThreshold() {
        // 250x250 frames at 24 fps: every 3rd frame is used (16 of 48), 4 moving pairs are needed,
        // the threshold is 6 * 250/256 = 5.859 px, and RAFT measures the padded 256x256 grid, whose
        // top 5% is int(65536 * 0.05) = 3276 pixels.
        DecodedVideo video = DecodedVideo.fromFloats(ToyClips.flat(48, 250, 250, 0.3f), 24);
        assertEquals(0.0, score(video, new float[] {5.9f, 5.9f, 5.9f}, 3276).value());
        MetricResult moving = score(video, new float[] {5.9f, 5.9f, 5.9f, 5.9f}, 3276);
        assertEquals(1.0, moving.value(), moving.details().toString());
        assertEquals("4", moving.details().get("needed_pairs"));
        assertEquals("16", moving.details().get("frames_used"));
        assertEquals(6.0 * 250 / 256, Double.parseDouble(moving.details().get("threshold")), 1e-12);
        // the same motion over fewer than 5% of the pixels: the top-5% mean falls under threshold
        assertEquals(0.0, score(video, new float[] {5.9f, 5.9f, 5.9f, 5.9f, 5.9f}, 3000).value());
        // just under the scaled threshold (5.859 px) nothing counts as moving
        assertEquals(0.0, score(video, new float[] {5.8f, 5.8f, 5.8f, 5.8f, 5.8f}, 3276).value());
    }

    @Test
    void smallFramesGiveNanFlowAndCountAsStaticAsInVbench() {
        assumeTrue(Files.isRegularFile(WEIGHTS), "no RAFT weights at " + WEIGHTS);
        try (RaftDynamicDegree metric = RaftDynamicDegree.load(WEIGHTS)) {
            float[][][][] frames = ToyClips.flat(3, 64, 64, 0.2f);
            for (int r = 10; r < 30; r++) {
                for (int c = 10; c < 30; c++) {
                    frames[1][r][c] = new float[] {0.9f, 0.9f, 0.9f};
                }
            }
            MetricResult result = metric.score(DecodedVideo.fromFloats(frames, 8), MetricContext.none());
            assertEquals(0.0, result.value());
            assertEquals("raft", result.details().get("flow"));
            assertTrue(result.details().get("flow_params").contains("weights=raft-things.pth"));
            assertEquals("2", result.details().get("pairs_nan"));
            assertEquals("NaN,NaN", result.details().get("pair_scores"));

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> metric.score(DecodedVideo.fromFloats(ToyClips.flat(2, 32, 32, 0.2f), 8), MetricContext.none()));
            assertTrue(e.getMessage().contains("32x32"), e.getMessage());
        }
    }

    @Test
    void registryUsesRaftWhenWeightsAreGiven() {
        assumeTrue(Files.isRegularFile(WEIGHTS), "no RAFT weights at " + WEIGHTS);
        MetricRegistry registry = MetricRegistry.standard(WEIGHTS);
        assertEquals(MetricRegistry.standard().names(), registry.names());
        assertTrue(registry.get(DynamicDegree.NAME) instanceof RaftDynamicDegree);
        ((RaftDynamicDegree) registry.get(DynamicDegree.NAME)).close();
        assertThrows(dev.qvgen.layers.io.CheckpointException.class,
                () -> MetricRegistry.standard(Path.of("no/such/raft.pth")));
    }

    /**
     * Scores the video with flow fields where {@code movingPixels} pixels of the padded 256x256
     * grid move by (0.6, 0.8) * speed (length = speed) in pair i for each listed speed; other pairs
     * and pixels move by 0.5 px diagonally.
     */
    private static MetricResult score(DecodedVideo video, float[] speeds, int movingPixels) {
        OpticalFlow synthetic = new OpticalFlow() {
            @Override
            public String name() {
                return RaftFlow.NAME;
            }

            @Override
            public String parameters() {
                return "synthetic";
            }

            @Override
            public List<float[]> pairMagnitudes(DecodedVideo v, List<Integer> frames) {
                List<float[]> out = new ArrayList<>();
                try (NDManager m = NDManager.newBaseManager()) {
                    for (int i = 1; i < frames.size(); i++) {
                        float[] uv = new float[2 * 256 * 256];
                        java.util.Arrays.fill(uv, 0.5f);
                        if (i - 1 < speeds.length) {
                            for (int p = 0; p < movingPixels; p++) {
                                uv[p] = 0.6f * speeds[i - 1];
                                uv[256 * 256 + p] = 0.8f * speeds[i - 1];
                            }
                        }
                        out.add(RaftFlow.magnitudes(m.create(uv, new Shape(1, 2, 256, 256))));
                    }
                }
                return out;
            }
        };
        return new DynamicDegree(synthetic).score(video, MetricContext.none());
    }
}

package dev.qvgen.metrics.raft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.qvgen.metrics.ops.ReplicatePadder;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.nn.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * RAFT against the shared golden fixture (VBench's PyTorch RAFT, random weights; its 60x92 frames
 * give NaN flows), against VBench's PyTorch RAFT at 128x160 with the same weights (finite flows,
 * src/test/resources/raft/make_fixture_128x160.py), and against a float64 NumPy
 * re-implementation (src/test/resources/raft/numpy_raft_reference.py).
 */
class RaftParityTest {
    static final Path DIR = Path.of("../shared/fixtures/metrics/raft");
    static final Path CROSSCHECK = Path.of("metrics/src/test/resources/raft/crosscheck-125x130.safetensors");
    /** VBench's PyTorch RAFT with the shared random weights at 128x160 (make_fixture_128x160.py). */
    static final Path GOLDEN_128X160 = Path.of("metrics/src/test/resources/raft/golden-128x160.safetensors");

    private static NDManager manager;
    private static Raft raft;

    @BeforeAll
    static void load() {
        assumeTrue(Files.isRegularFile(DIR.resolve("raft-things.pth")), "no RAFT fixture at " + DIR.toAbsolutePath());
        manager = NDManager.newBaseManager();
        raft = Raft.load(DIR.resolve("raft-things.pth"), manager);
    }

    @AfterAll
    static void close() {
        if (manager != null) {
            manager.close();
        }
    }

    @Test
    void matchesVbenchRaftOnTheGoldenPair() {
        try (NDManager m = manager.newSubManager();
                SafeTensorsFile golden = SafeTensorsFile.open(DIR.resolve("golden.safetensors"))) {
            ReplicatePadder padder = new ReplicatePadder(60, 92, RaftFlow.PAD_DIVISOR);
            NDArray p1 = padder.pad(golden.load("image1", m));
            NDArray p2 = padder.pad(golden.load("image2", m));
            double pad1 = Tensors.relativeL2(p1, golden.load("image1_padded", m));
            double pad2 = Tensors.relativeL2(p2, golden.load("image2_padded", m));
            System.out.printf("raft golden: image1_padded rel_l2=%.3g image2_padded rel_l2=%.3g%n", pad1, pad2);
            assertTrue(pad1 < 1e-4 && pad2 < 1e-4, pad1 + " " + pad2);

            Raft.Flow flow = raft.forward(p1, p2, 20);
            for (String name : new String[] {"flow_low", "flow_up"}) {
                NDArray expected = golden.load(name, m);
                NDArray actual = name.equals("flow_low") ? flow.low() : flow.up();
                assertEquals(expected.getShape(), actual.getShape(), name);
                boolean[] expectedNan = nanMask(expected);
                if (allFinite(expectedNan)) {
                    double err = Tensors.relativeL2(actual, expected);
                    System.out.printf("raft golden: %s rel_l2=%.3g%n", name, err);
                    assertTrue(err < 1e-3, name + " rel_l2=" + err);
                } else {
                    // 64x96 padded frames give an 8x12 feature map whose 4th pyramid level is 1x1:
                    // RAFT's coordinate normalisation divides by W-1 = 0 and PyTorch returns NaN.
                    System.out.printf("raft golden: %s is NaN in the reference; checking the same NaN pattern%n",
                            name);
                    assertArrayEquals(expectedNan, nanMask(actual), name + " NaN pattern");
                }
            }
        }
    }

    @Test
    void matchesVbenchRaftAt128x160() {
        try (NDManager m = manager.newSubManager(); SafeTensorsFile golden = SafeTensorsFile.open(GOLDEN_128X160)) {
            NDArray image1 = golden.load("image1", m);
            NDArray image2 = golden.load("image2", m);
            assertEquals(new ai.djl.ndarray.types.Shape(1, 3, 128, 160), image1.getShape());
            Raft.Flow flow = raft.forward(image1, image2, 20);
            NDArray expectedUp = golden.load("flow_up", m);
            // the fixture is only meaningful with finite flows that move pixels
            assertTrue(allFinite(nanMask(expectedUp)), "golden flow_up has NaN");
            assertTrue(expectedUp.abs().mean().getFloat() > 1f, "golden flow is too small to test anything");
            double low = Tensors.relativeL2(flow.low(), golden.load("flow_low", m));
            double up = Tensors.relativeL2(flow.up(), expectedUp);
            System.out.printf("raft golden 128x160: flow_low rel_l2=%.3g flow_up rel_l2=%.3g%n", low, up);
            assertTrue(low < 1e-3, "flow_low rel_l2=" + low);
            assertTrue(up < 1e-3, "flow_up rel_l2=" + up);
        }
    }

    @Test
    void matchesFloat64ReferenceOnFramesWithFiniteFlow() {
        try (NDManager m = manager.newSubManager(); SafeTensorsFile ref = SafeTensorsFile.open(CROSSCHECK)) {
            NDArray image1 = ref.load("image1", m).toType(DataType.FLOAT32, false);
            NDArray image2 = ref.load("image2", m).toType(DataType.FLOAT32, false);
            ReplicatePadder padder = new ReplicatePadder(125, 130, RaftFlow.PAD_DIVISOR);
            assertEquals(128, padder.paddedHeight());
            assertEquals(136, padder.paddedWidth());
            long start = System.nanoTime();
            Raft.Flow flow = raft.forward(padder.pad(image1), padder.pad(image2), 20);
            double seconds = (System.nanoTime() - start) / 1e9;
            double low = Tensors.relativeL2(flow.low(), ref.load("flow_low", m));
            double up = Tensors.relativeL2(flow.up(), ref.load("flow_up", m));
            System.out.printf("raft crosscheck 125x130: flow_low rel_l2=%.3g flow_up rel_l2=%.3g (%.2f s)%n", low, up,
                    seconds);
            assertTrue(low < 1e-4, "flow_low rel_l2=" + low);
            assertTrue(up < 1e-4, "flow_up rel_l2=" + up);
        }
    }

    private static boolean[] nanMask(NDArray a) {
        float[] v = a.toFloatArray();
        boolean[] mask = new boolean[v.length];
        for (int i = 0; i < v.length; i++) {
            mask[i] = Float.isNaN(v[i]);
        }
        return mask;
    }

    private static boolean allFinite(boolean[] nanMask) {
        for (boolean b : nanMask) {
            if (b) {
                return false;
            }
        }
        return true;
    }
}

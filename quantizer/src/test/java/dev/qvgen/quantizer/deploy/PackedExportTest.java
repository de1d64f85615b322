package dev.qvgen.quantizer.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.io.SafeTensorsWriter;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.Rtn;
import dev.qvgen.quantizer.TinyNet;
import dev.qvgen.quantizer.qat.QatLayers;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

class PackedExportTest {
    private static NDArray input(NDManager m) {
        float[] x = new float[2 * 5 * 8];
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return m.create(x, new Shape(2, 5, 8));
    }

    @Test
    void rtnExportReproducesTheFakeQuantizedModelExactly(@TempDir Path tmp) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            TinyNet net = new TinyNet(m, 2);
            NDArray x = input(m);
            NDArray t = m.create(new float[] {10f, 900f});
            Map<String, PackedLinear> packed = new LinkedHashMap<>();
            LayerSelection.linears(net, LayerSelection.insideBlocks(java.util.List.of("blocks."))).forEach((k, l) -> packed.put(k,
                    Rtn.pack(l, QuantSpec.W3A3)));
            new Rtn().apply(net, QuantSpec.W3A3, LayerSelection.insideBlocks(java.util.List.of("blocks.")));
            float[] fake = net.forward(x, t).toFloatArray();
            Path file = tmp.resolve("rtn.safetensors");
            PackedExport.write(file, net, packed, Map.of("method", "rtn"));

            TinyNet fresh = new TinyNet(m, 99);
            PackedExport.load(file, fresh, m);
            assertArrayEquals(fake, fresh.forward(x, t).toFloatArray(), "bit-identical outputs");
        }
    }

    @Test
    void qatExportHoldsNoPhiAndReproducesTheModel(@TempDir Path tmp) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            TinyNet net = new TinyNet(m, 4);
            QatLayers layers = QatLayers.install(net, QuantSpec.W4A4, LayerSelection.insideBlocks(java.util.List.of("blocks.")), 4, 8, m);
            assertThrows(IllegalStateException.class, () -> layers.kernels().get("blocks.0.fc1").pack(net.fc1),
                    "a layer with Φ cannot be exported");
            layers.kernels().values().forEach(k -> k.removePhi());
            NDArray x = input(m);
            NDArray t = m.create(new float[] {10f, 900f});
            float[] fake = net.forward(x, t).toFloatArray();
            Map<String, PackedLinear> packed = new LinkedHashMap<>();
            layers.layers().forEach((k, l) -> packed.put(k, layers.kernels().get(k).pack(l)));
            Path file = tmp.resolve("qvgen.safetensors");
            PackedExport.write(file, net, packed, Map.of("method", "qvgen"));

            try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
                assertFalse(f.names().stream().anyMatch(n -> n.contains("phi")), f.names().toString());
                assertFalse(f.names().contains("blocks.0.fc1.weight"), "quantized weights are stored packed only");
                assertEquals("U8", f.info("blocks.0.fc1.qweight").dtype());
                assertArrayEquals(new long[] {16, 4}, f.info("blocks.0.fc1.qweight").shape(), "8 int4 codes in 4 bytes");
                assertTrue(f.names().contains("head.weight"), "full-precision layers stay as they are");
            }
            TinyNet fresh = new TinyNet(m, 77);
            Map<String, DeployedLinearKernel> k = PackedExport.load(file, fresh, m);
            assertEquals(2, k.size());
            assertArrayEquals(fake, fresh.forward(x, t).toFloatArray(), "bit-identical outputs");
            assertTrue(PackedExport.deployedBytes(packed) < 4L * (16 * 8 + 8 * 16), "smaller than fp32");
        }
    }

    @Test
    void lowRankBranchAndSmoothingAreApplied(@TempDir Path tmp) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            TinyNet net = new TinyNet(m, 5);
            PackedLinear p = Rtn.pack(net.fc1, QuantSpec.W8A8);
            float[] down = new float[2 * 8];
            float[] up = new float[16 * 2];
            down[0] = 1f;
            up[0] = 1f; // adds x[..., 0] (smoothed) to output channel 0
            float[] smooth = new float[8];
            java.util.Arrays.fill(smooth, 2f);
            PackedLinear withBranch = p.withSmoothing(smooth).withLowRank(down, up, 2);
            Path file = tmp.resolve("svd.safetensors");
            PackedExport.write(file, net, Map.of("blocks.0.fc1", withBranch), Map.of());
            TinyNet fresh = new TinyNet(m, 5);
            PackedExport.load(file, fresh, m);
            NDArray x = input(m);
            float[] y = fresh.fc1.forward(x).toFloatArray();
            new Rtn().apply(net, QuantSpec.W8A8, name -> name.equals("blocks.0.fc1"));
            float[] ref = net.fc1.forward(x.div(2f)).toFloatArray();
            float[] xs = x.toFloatArray();
            // Out channel 0 of token 0 gains x0 / 2; W8A8 of x/2 vs the deployed path agree to rounding.
            assertEquals(ref[0] + xs[0] / 2f, y[0], 2e-2f);
            assertEquals(ref[1], y[1], 2e-2f);
            assertEquals(2 * (8 + 16), withBranch.lowRankMacsPerToken(), "rank (in + out) MACs");
        }
    }

    @Test
    void rejectsFilesThatAreNotPackedExports(@TempDir Path tmp) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path file = tmp.resolve("plain.safetensors");
            SafeTensorsWriter.write(file, Map.of("head.weight", m.zeros(new Shape(4, 8))), Map.of());
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> PackedExport.load(file, new TinyNet(m, 1), m));
            assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        }
    }
}

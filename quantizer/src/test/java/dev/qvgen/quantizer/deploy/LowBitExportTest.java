package dev.qvgen.quantizer.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.Rtn;
import dev.qvgen.quantizer.TinyNet;
import dev.qvgen.quantizer.qat.QatLayers;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Format version 2's FP8 layout: what the GPU loads, and what the CPU reader turns back into the same model. */
class LowBitExportTest {
    private static NDArray input(NDManager m) {
        float[] x = new float[2 * 5 * 8];
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return m.create(x, new Shape(2, 5, 8));
    }

    @Test
    void fp8LayoutStoresOneByteCodesAndReloadsBitForBit(@TempDir Path tmp) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            for (String method : new String[] {"rtn", "qvgen"}) {
                TinyNet net = new TinyNet(m, 4);
                Map<String, PackedLinear> packed = new LinkedHashMap<>();
                if (method.equals("rtn")) {
                    LayerSelection.linears(net, LayerSelection.insideBlocks(java.util.List.of("blocks."))).forEach((k, l) -> packed.put(k,
                            Rtn.pack(l, QuantSpec.W4A4)));
                    new Rtn().apply(net, QuantSpec.W4A4, LayerSelection.insideBlocks(java.util.List.of("blocks.")));
                } else {
                    QatLayers layers = QatLayers.install(net, QuantSpec.W4A4, LayerSelection.insideBlocks(java.util.List.of("blocks.")), 4, 8, m);
                    layers.kernels().values().forEach(k -> k.removePhi());
                    layers.layers().forEach((k, l) -> packed.put(k, layers.kernels().get(k).pack(l)));
                }
                NDArray x = input(m);
                NDArray t = m.create(new float[] {10f, 900f});
                float[] fake = net.forward(x, t).toFloatArray();
                Path v2 = tmp.resolve(method + "-fp8.safetensors");
                PackedExport.write(v2, net, packed, Map.of("method", method), PackedExport.Layout.FP8);
                try (SafeTensorsFile f = SafeTensorsFile.open(v2)) {
                    assertEquals(PackedExport.FORMAT_V2, f.metadata().get("qvgen.format"));
                    assertEquals("fp8", f.metadata().get("qvgen.layout"));
                    assertEquals("F8_E4M3", f.info("blocks.0.fc1.qweight").dtype());
                    assertArrayEquals(new long[] {16, 8}, f.info("blocks.0.fc1.qweight").shape(), "one byte per weight");
                    assertEquals("I32", f.info("blocks.0.fc1.woffset").dtype());
                }
                TinyNet fresh = new TinyNet(m, 99);
                Map<String, DeployedLinearKernel> k = PackedExport.load(v2, fresh, m);
                assertArrayEquals(fake, fresh.forward(x, t).toFloatArray(), method + ": bit-identical outputs");
                for (var e : k.entrySet()) {
                    assertArrayEquals(packed.get(e.getKey()).packed(), e.getValue().packed().packed(),
                            method + " " + e.getKey() + ": the same codes come back");
                }
                // the version-1 file of the same model still loads, to the same outputs
                Path v1 = tmp.resolve(method + "-v1.safetensors");
                PackedExport.write(v1, net, packed, Map.of("method", method));
                TinyNet old = new TinyNet(m, 98);
                PackedExport.load(v1, old, m);
                assertArrayEquals(fake, old.forward(x, t).toFloatArray(), method + ": version 1");
                assertTrue(Files.size(v2) > Files.size(v1), "FP8 codes take twice the bytes of int4 ones");
            }
        }
    }

    @Test
    void unknownLayoutIsOneClearError(@TempDir Path tmp) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            TinyNet net = new TinyNet(m, 4);
            Map<String, PackedLinear> packed = new LinkedHashMap<>();
            LayerSelection.linears(net, LayerSelection.insideBlocks(java.util.List.of("blocks."))).forEach((k, l) -> packed.put(k,
                    Rtn.pack(l, QuantSpec.W4A4)));
            Path file = tmp.resolve("bad.safetensors");
            PackedExport.write(file, net, packed, Map.of("qvgen.layout", "int2"), PackedExport.Layout.FP8);
            // metadata given by the caller is overwritten by the writer's own layout key
            try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
                assertEquals("fp8", f.metadata().get("qvgen.layout"));
            }
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("qvgen.format", PackedExport.FORMAT_V2);
            meta.put("qvgen.layout", "int2");
            Path bad = tmp.resolve("bad2.safetensors");
            dev.qvgen.layers.io.SafeTensorsWriter.write(bad, Map.of("x", m.create(new float[] {1})), meta);
            CheckpointException e = assertThrows(CheckpointException.class, () -> PackedExport.load(bad, net, m));
            assertTrue(e.getMessage().contains("unknown weight layout") && e.getMessage().contains("int2"),
                    e.getMessage());
        }
    }
}

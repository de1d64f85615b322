package dev.qvgen.quantizer.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.train.AdamW;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.TinyNet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

class EfficientDmAndQdmTest {
    @Test
    void loraStartsAtZeroTrainsOnlyAdaptersAndMergesExactly() {
        try (NDManager m = NDManager.newBaseManager()) {
            TinyNet lsqNet = new TinyNet(m, 6);
            TinyNet loraNet = new TinyNet(m, 6);
            QatLayers lsq = QatLayers.install(lsqNet, QuantSpec.W4A4, LayerSelection.insideBlocks(java.util.List.of("blocks.")), 0, 4, m);
            QatLayers lora = QatLayers.install(loraNet, QuantSpec.W4A4, LayerSelection.insideBlocks(java.util.List.of("blocks.")),
                    new QatLayers.Options(0, 4, 4), m);
            NDArray x = LowRankBranchTest.random(m, 6, 8, 1).reshape(2, 3, 8);
            NDArray t = m.create(new float[] {100f, 800f});
            assertArrayEquals(lsqNet.forward(x, t).toFloatArray(), loraNet.forward(x, t).toFloatArray(),
                    "B = 0: the adapter starts as a no-op");

            List<AdamW.Group> groups = lora.groups(loraNet, QatLayers.LearningRates.official());
            assertFalse(groups.stream().anyMatch(g -> g.name().equals("weights")), "base weights are frozen");
            assertEquals(4, groups.stream().filter(g -> g.name().equals("lora")).findFirst().orElseThrow().arrays().size());

            // Give the adapters a value, then merge: the outputs keep every bit.
            lora.kernels().values().forEach(k -> k.lora().up().addi(0.05f));
            float[] before = loraNet.forward(x, t).toFloatArray();
            assertFalse(java.util.Arrays.equals(before, lsqNet.forward(x, t).toFloatArray()));
            lora.finish();
            lora.kernels().values().forEach(k -> assertNull(k.lora()));
            assertArrayEquals(before, loraNet.forward(x, t).toFloatArray());
            assertEquals(8, lora.kernels().get("blocks.0.fc1").pack(loraNet.fc1).out() / 2);
        }
    }

    @Test
    void mimickingLossIsDistillationPlusDiffusion(@TempDir Path tmp) throws Exception {
        double[] first = new double[3];
        QatTrainer.Loss[] losses = {QatTrainer.Loss.DISTILLATION, QatTrainer.Loss.DIFFUSION, QatTrainer.Loss.MIMICKING};
        for (int i = 0; i < 3; i++) {
            QatTrainer.Settings s = new QatTrainer.Settings(1, 1, 1, QatLayers.LearningRates.official(), 1.0, null,
                    losses[i], 100);
            List<String> log = QatTrainerTest.run(tmp.resolve("l" + i), 0, s, (a, b, c) -> { });
            first[i] = Double.parseDouble(log.get(1).split(",")[1]);
        }
        assertEquals(first[0] + first[1], first[2], 1e-5 * first[2]);
        assertTrue(first[0] > 0 && first[1] > 0);
    }

    @Test
    void loraStateIsCheckpointed(@TempDir Path tmp) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            TinyNet net = new TinyNet(m, 2);
            QatLayers layers = QatLayers.install(net, QuantSpec.W3A3, LayerSelection.insideBlocks(java.util.List.of("blocks.")),
                    new QatLayers.Options(0, 4, 4), m);
            layers.kernels().values().forEach(k -> k.lora().up().addi(0.5f));
            Path f = tmp.resolve("s.safetensors");
            QatCheckpoint.save(f, net, layers, java.util.Map.of(), java.util.Map.of());
            TinyNet again = new TinyNet(m, 2);
            QatLayers l2 = QatLayers.install(again, QuantSpec.W3A3, LayerSelection.insideBlocks(java.util.List.of("blocks.")),
                    new QatLayers.Options(0, 4, 4), m);
            QatCheckpoint.load(f, again, l2, m, "none.", new java.util.HashMap<>());
            NDArray x = m.ones(new Shape(1, 2, 8));
            assertArrayEquals(net.forward(x, null).toFloatArray(), again.forward(x, null).toFloatArray());
            assertTrue(Files.size(f) > 0);
        }
    }
}

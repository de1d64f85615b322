package dev.qvgen.models.wan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.nn.Tensors;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

class WanTransformerParityTest {
    static final Path FIXTURE = Path.of("../shared/fixtures/golden/wan2.1");

    @Test
    void matchesReferenceTransformerOutputAndFirstBlock() {
        try (NDManager m = NDManager.newBaseManager();
                SafeTensorsFile golden = SafeTensorsFile.open(FIXTURE.resolve("golden.safetensors"))) {
            WanTransformer3DModel model = WanTransformer3DModel.fromPretrained(
                    FIXTURE.resolve("pipeline/transformer"), m);
            AtomicReference<NDArray> block0 = new AtomicReference<>();
            List<NDArray> seen = new ArrayList<>();
            model.setBlockObserver((i, x) -> {
                seen.add(x);
                if (i == 0) {
                    block0.set(x.duplicate());
                }
            });
            NDArray out = model.forward(golden.load("tr.hidden_states", m), golden.load("tr.timestep", m),
                    golden.load("tr.encoder_hidden_states", m));
            double e0 = Tensors.relativeL2(block0.get(), golden.load("tr.block0_out", m));
            double e = Tensors.relativeL2(out, golden.load("tr.out", m));
            System.out.printf("block0 rel_l2=%.3e out rel_l2=%.3e%n", e0, e);
            assertTrue(e0 < 1e-4, "block0 rel_l2 " + e0);
            assertTrue(e < 1e-4, "out rel_l2 " + e);
            assertEquals(golden.info("tr.out").numel(), out.size());
            // each block's output is freed once the next block has read it, as eager PyTorch frees it
            assertTrue(seen.size() >= 2, "blocks seen: " + seen.size());
            for (int i = 0; i < seen.size() - 1; i++) {
                assertTrue(seen.get(i).isReleased(), "block " + i + " output still held");
            }
        }
    }
}

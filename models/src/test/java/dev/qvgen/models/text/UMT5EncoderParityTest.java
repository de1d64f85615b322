package dev.qvgen.models.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.nn.Tensors;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

/** UMT5 encoder (Wan2.1) against the reference: relative position bias in every layer. */
class UMT5EncoderParityTest {
    static final Path FIXTURE = Path.of("../shared/fixtures/golden/wan2.1");

    @Test
    void matchesReferenceLastHiddenState() {
        try (NDManager m = NDManager.newBaseManager();
                SafeTensorsFile g = SafeTensorsFile.open(FIXTURE.resolve("golden.safetensors"))) {
            T5EncoderModel te = T5EncoderModel.fromPretrained(FIXTURE.resolve("pipeline/text_encoder"), m);
            assertEquals("umt5", te.config().modelType());
            assertTrue(te.config().biasInEveryLayer());
            assertTrue(te.parameterNames().contains("encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight"));
            NDArray ids = g.load("te.input_ids", m);
            double masked = Tensors.relativeL2(te.forward(ids, g.load("te.attention_mask", m)),
                    g.load("te.last_hidden_state", m));
            double noMask = Tensors.relativeL2(te.forward(ids, null), g.load("te.last_hidden_state_nomask", m));
            System.out.printf("wan2.1 umt5 masked rel_l2=%.3e nomask rel_l2=%.3e%n", masked, noMask);
            assertTrue(masked < 1e-5, "masked " + masked);
            assertTrue(noMask < 1e-5, "nomask " + noMask);
        }
    }

    @Test
    void paddedKeysDoNotChangeTheRealTokens() {
        T5EncoderParityTest.EncoderChecks.paddingInvariance(FIXTURE);
    }
}

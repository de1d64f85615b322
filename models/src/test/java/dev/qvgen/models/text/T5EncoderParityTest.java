package dev.qvgen.models.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.nn.Tensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

/** T5 v1.1 encoder (CogVideoX) against the reference, with and without the attention mask. */
class T5EncoderParityTest {
    static final Path GOLDEN = Path.of("../shared/fixtures/golden");

    @ParameterizedTest
    @ValueSource(strings = {"cogvideox-2b", "cogvideox-5b", "cogvideox1.5-5b"})
    void matchesReferenceLastHiddenState(String family) {
        Path dir = GOLDEN.resolve(family);
        try (NDManager m = NDManager.newBaseManager();
                SafeTensorsFile g = SafeTensorsFile.open(dir.resolve("golden.safetensors"))) {
            T5EncoderModel te = T5EncoderModel.fromPretrained(dir.resolve("pipeline/text_encoder"), m);
            assertEquals("t5", te.config().modelType());
            assertFalse(te.config().biasInEveryLayer());
            NDArray ids = g.load("te.input_ids", m);
            double noMask = Tensors.relativeL2(te.forward(ids, null), g.load("te.last_hidden_state_nomask", m));
            double masked = Tensors.relativeL2(te.forward(ids, g.load("te.attention_mask", m)),
                    g.load("te.last_hidden_state", m));
            System.out.printf("%s t5 nomask rel_l2=%.3e masked rel_l2=%.3e%n", family, noMask, masked);
            assertTrue(noMask < 1e-5, family + " nomask " + noMask);
            assertTrue(masked < 1e-5, family + " masked " + masked);
        }
    }

    @Test
    void paddedKeysDoNotChangeTheRealTokens() {
        // Masked keys get finfo.min added, so the states of the real tokens equal those of the
        // unpadded prompt (the relative bias depends on distance only).
        EncoderChecks.paddingInvariance(GOLDEN.resolve("cogvideox-2b"));
    }

    @Test
    void bucketsFollowTheT5Formula() {
        // 32 buckets, max distance 128 (the published T5 and UMT5 configs): 16 per direction,
        // exact below 8, logarithmic up to 128.
        assertEquals(0, T5EncoderModel.bucket(0, 32, 128));
        assertEquals(7, T5EncoderModel.bucket(-7, 32, 128));
        assertEquals(16 + 7, T5EncoderModel.bucket(7, 32, 128));
        assertEquals(8, T5EncoderModel.bucket(-8, 32, 128));
        assertEquals(10, T5EncoderModel.bucket(-16, 32, 128));
        assertEquals(12, T5EncoderModel.bucket(-32, 32, 128));
        assertEquals(15, T5EncoderModel.bucket(-127, 32, 128));
        assertEquals(15, T5EncoderModel.bucket(-1000, 32, 128));
        assertEquals(31, T5EncoderModel.bucket(1000, 32, 128));
    }

    /** Shared by the T5 and UMT5 tests. */
    static final class EncoderChecks {
        static void paddingInvariance(Path dir) {
            try (NDManager m = NDManager.newBaseManager();
                    SafeTensorsFile g = SafeTensorsFile.open(dir.resolve("golden.safetensors"))) {
                T5EncoderModel te = T5EncoderModel.fromPretrained(dir.resolve("pipeline/text_encoder"), m);
                NDArray ids = g.load("te.input_ids", m);
                int len = 9;
                NDArray shortIds = ids.get(new NDIndex(":, :" + len));
                NDArray padded = ids.duplicate();
                padded.set(new NDIndex(":, " + len + ":"), 0L);
                NDArray mask = m.zeros(ids.getShape(), ids.getDataType());
                mask.set(new NDIndex(":, :" + len), 1L);
                NDArray expected = te.forward(shortIds, null);
                NDArray out = te.forward(padded, mask);
                double e = Tensors.relativeL2(out.get(new NDIndex(":, :" + len)), expected);
                assertTrue(e < 1e-5, "real tokens moved by padding: " + e);
                // Without the mask the padding is attended to and the states change.
                NDArray unmasked = te.forward(padded, null).get(new NDIndex(":, :" + len));
                assertTrue(Tensors.relativeL2(unmasked, expected) > 1e-3, "mask had no effect");
                NDArray zeroed = T5EncoderModel.zeroPadded(out, mask);
                assertEquals(0f, zeroed.get(new NDIndex(":, " + len + ":")).abs().sum().getFloat(), 0f);
            }
        }
    }
}

package dev.qvgen.models.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.nn.Tensors;
import dev.qvgen.models.vae.cogvideox.AutoencoderKLCogVideoX;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

/** AutoencoderKLCogVideoX against the reference encode/decode on the three CogVideoX toy fixtures. */
class CogVideoXVaeParityTest {

    @ParameterizedTest
    @ValueSource(strings = {"cogvideox-2b", "cogvideox-5b", "cogvideox1.5-5b"})
    void encodeAndDecodeMatchReference(String family) {
        Path fixture = Path.of("../shared/fixtures/golden", family);
        try (NDManager m = NDManager.newBaseManager();
                SafeTensorsFile golden = SafeTensorsFile.open(fixture.resolve("golden.safetensors"))) {
            AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.fromPretrained(fixture.resolve("pipeline/vae"), m);
            long t0 = System.nanoTime();
            NDArray mean = vae.encodeMean(golden.load("vae.encode.x", m));
            long t1 = System.nanoTime();
            NDArray video = vae.decode(golden.load("vae.decode.z", m));
            long t2 = System.nanoTime();
            double eEnc = Tensors.relativeL2(mean, golden.load("vae.encode.mean", m));
            double eDec = Tensors.relativeL2(video, golden.load("vae.decode.out", m));
            System.out.printf("%s vae.encode.mean rel_l2=%.3e (%.2f s) vae.decode.out rel_l2=%.3e (%.2f s)%n",
                    family, eEnc, (t1 - t0) / 1e9, eDec, (t2 - t1) / 1e9);
            assertTrue(eEnc < 1e-4, "encode rel_l2 " + eEnc);
            assertTrue(eDec < 1e-4, "decode rel_l2 " + eDec);
        }
    }

    @org.junit.jupiter.api.Test
    void frameBatchesFollowDiffusers() {
        // 13 latent frames in batches of 2: the first batch takes the odd one (3 frames).
        var b = AutoencoderKLCogVideoX.frameBatches(13, 2);
        assertEquals(6, b.size());
        assertEquals(0, b.get(0)[0]);
        assertEquals(3, b.get(0)[1]);
        assertEquals(11, b.get(5)[0]);
        assertEquals(13, b.get(5)[1]);
        // 49 frames in batches of 8: 0..9, then 8 each.
        var e = AutoencoderKLCogVideoX.frameBatches(49, 8);
        assertEquals(6, e.size());
        assertEquals(9, e.get(0)[1]);
        assertEquals(41, e.get(5)[0]);
        assertEquals(49, e.get(5)[1]);
        // Fewer frames than a batch: one batch with all of them.
        var one = AutoencoderKLCogVideoX.frameBatches(1, 2);
        assertEquals(1, one.size());
        assertEquals(1, one.get(0)[1]);
    }
}

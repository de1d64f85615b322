package dev.qvgen.models.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.nn.Tensors;
import dev.qvgen.models.vae.wan.AutoencoderKLWan;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

/** AutoencoderKLWan against the reference encode/decode on the Wan2.1 toy fixture. */
class WanVaeParityTest {
    static final Path FIXTURE = Path.of("../shared/fixtures/golden/wan2.1");

    @Test
    void encodeAndDecodeMatchReference() {
        try (NDManager m = NDManager.newBaseManager();
                SafeTensorsFile golden = SafeTensorsFile.open(FIXTURE.resolve("golden.safetensors"))) {
            AutoencoderKLWan vae = AutoencoderKLWan.fromPretrained(FIXTURE.resolve("pipeline/vae"), m);
            long t0 = System.nanoTime();
            NDArray mean = vae.encodeMean(golden.load("vae.encode.x", m));
            long t1 = System.nanoTime();
            NDArray video = vae.decode(golden.load("vae.decode.z", m));
            long t2 = System.nanoTime();
            double eEnc = Tensors.relativeL2(mean, golden.load("vae.encode.mean", m));
            double eDec = Tensors.relativeL2(video, golden.load("vae.decode.out", m));
            System.out.printf("wan2.1 vae.encode.mean rel_l2=%.3e (%.2f s) vae.decode.out rel_l2=%.3e (%.2f s)%n",
                    eEnc, (t1 - t0) / 1e9, eDec, (t2 - t1) / 1e9);
            assertTrue(eEnc < 1e-4, "encode rel_l2 " + eEnc);
            assertTrue(eDec < 1e-4, "decode rel_l2 " + eDec);
            assertEquals(1f, video.max().getFloat(), 1f, "decoder output lies in [-1, 1]");
            assertTrue(video.abs().max().getFloat() <= 1f);
        }
    }

    @Test
    void latentNormalizationRoundTrips() {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKLWan vae = new AutoencoderKLWan(
                    dev.qvgen.models.vae.wan.WanVaeConfig.read(FIXTURE.resolve("pipeline/vae/config.json")));
            NDArray z = m.randomNormal(new ai.djl.ndarray.types.Shape(1, 16, 2, 3, 3));
            NDArray back = vae.normalizeLatents(vae.denormalizeLatents(z));
            assertTrue(Tensors.relativeL2(back, z) < 1e-6);
            // Channel 7 has mean 1.5508 and std 2.0743 in the config: a zero latent decodes from the mean.
            NDArray zero = vae.denormalizeLatents(m.zeros(new ai.djl.ndarray.types.Shape(1, 16, 1, 1, 1)));
            assertEquals(1.5508f, zero.getFloat(0, 7, 0, 0, 0), 1e-6f);
            NDArray one = vae.denormalizeLatents(m.ones(new ai.djl.ndarray.types.Shape(1, 16, 1, 1, 1)));
            assertEquals(1.5508f + 2.0743f, one.getFloat(0, 7, 0, 0, 0), 1e-5f);
        }
    }
}

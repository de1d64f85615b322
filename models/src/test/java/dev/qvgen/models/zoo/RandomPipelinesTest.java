package dev.qvgen.models.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.models.text.T5EncoderModel;
import dev.qvgen.models.vae.cogvideox.AutoencoderKLCogVideoX;
import dev.qvgen.models.vae.wan.AutoencoderKLWan;
import dev.qvgen.models.vae.wan.WanVaeConfig;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

/** The full-size components --random-weights builds have the published sizes (declared only, not allocated). */
class RandomPipelinesTest {
    @Test
    void fullSizeTextEncodersAndVaesHaveThePublishedSizes() {
        long umt5 = ModelRegistry.parameterCount(new T5EncoderModel(RandomPipelines.umt5Xxl()));
        long t5 = ModelRegistry.parameterCount(new T5EncoderModel(RandomPipelines.t5V11Xxl()));
        long wanVae = ModelRegistry.parameterCount(new AutoencoderKLWan(RandomPipelines.wan21Vae()));
        long cogVae = ModelRegistry.parameterCount(new AutoencoderKLCogVideoX(RandomPipelines.cogVideoXVae("cogvideox-2b")));
        System.out.printf("UMT5-XXL encoder %,d, T5-XXL encoder %,d, Wan VAE %,d, CogVideoX VAE %,d parameters%n",
                umt5, t5, wanVae, cogVae);
        // 24 layers of 4 (4096 x 4096) attention and 3 (4096 x 10240) FFN matrices, plus the embedding
        long layers = 24L * (4L * 4096 * 4096 + 3L * 4096 * 10240);
        assertTrue(umt5 > layers + 256384L * 4096 && umt5 < layers + 256384L * 4096 + 10_000_000, "" + umt5);
        assertTrue(t5 > layers + 32128L * 4096 && t5 < layers + 32128L * 4096 + 10_000_000, "" + t5);
        // Wan2.1's VAE is published as 127M parameters
        assertTrue(wanVae > 120_000_000 && wanVae < 135_000_000, "" + wanVae);
        assertTrue(cogVae > 100_000_000 && cogVae < 400_000_000, "" + cogVae);
    }

    @Test
    void diffusersVaeDefaultsMatchTheToyFixtureKeys() {
        // The fixture's VAE config is read by the same strict reader; the full-size one shares its layout.
        WanVaeConfig toy = WanVaeConfig.read(Path.of("../shared/fixtures/golden/wan2.1/pipeline/vae/config.json"));
        WanVaeConfig full = RandomPipelines.wan21Vae();
        assertEquals(toy.zDim(), full.zDim());
        assertEquals(toy.temperalDownsample().length, full.temperalDownsample().length);
        assertEquals(toy.scaleFactorSpatial(), full.scaleFactorSpatial());
    }

    @Test
    void randomInitHonoursHalfStorage() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                AutoCloseable s = WeightLoader.withStorage(WeightLoader.Storage.FP16)) {
            T5EncoderModel te = new T5EncoderModel(new dev.qvgen.models.text.T5Config("umt5", 64, 16, 4, 24, 1, 4,
                    8, 32, 1e-6, true, "gelu_new"));
            ModelRegistry.randomInit(te, m, 1);
            long half = te.namedParameters().values().stream()
                    .filter(p -> p.getArray().getDataType() == DataType.FLOAT16).count();
            long lin = WeightLoader.halfStored(te).size();
            assertTrue(lin > 0);
            assertEquals(lin, half);
            var ids = m.create(new long[] {3, 5, 1, 0}).reshape(1, 4);
            assertEquals(DataType.FLOAT32, te.forward(ids, m.ones(ids.getShape(), DataType.INT64)).getDataType());
        }
    }
}

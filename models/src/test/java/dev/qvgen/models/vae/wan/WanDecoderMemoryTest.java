package dev.qvgen.models.vae.wan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.models.vae.VaeOps;

import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Random;
import java.util.Set;

/**
 * The Wan VAE decoder frees its activations layer by layer: while a chunk's scope is still open
 * (as {@link AutoencoderKLWan#decode} holds it until the chunk's output is taken), nothing but the
 * weights, the latents, the feature cache (the last two frames per causal convolution) and the
 * chunk's output is alive. Before, every intermediate of every layer stayed until the chunk's
 * scope closed: about 0.2 MB per output pixel in float32, 80 GB for a 480x832 chunk.
 */
class WanDecoderMemoryTest {
    private static long bytes(NDArray a) {
        return a.size() * a.getDataType().getNumOfBytes();
    }

    @Test
    void aDecodedChunkLeavesOnlyItsOutputAndTheCache() {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKLWan vae = AutoencoderKLWan.fromPretrained(WanVaeTilingTest.VAE, m);
            WanDecoder3d decoder = (WanDecoder3d) vae.namedChildren().get("decoder");
            Set<NDArray> weights = Collections.newSetFromMap(new IdentityHashMap<>());
            vae.namedParameters().values().stream().map(Parameter::getArray).forEach(weights::add);
            Random r = new Random(5);
            float[] v = new float[16 * 3 * 8 * 12];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) r.nextGaussian();
            }
            NDArray z = m.create(v, new Shape(1, 16, 3, 8, 12));
            try (WanFeatCache cache = new WanFeatCache()) {
                for (int i = 0; i < 3; i++) {
                    try (NDScope chunkScope = new NDScope()) {
                        cache.rewind();
                        NDArray chunk = VaeOps.slice(z, 2, i, i + 1);
                        NDArray out = decoder.forward(chunk, cache);
                        assertEquals(i == 0 ? 1 : 4, out.getShape().get(2), "frames of chunk " + i);
                        Set<NDArray> known = Collections.newSetFromMap(new IdentityHashMap<>());
                        known.addAll(weights);
                        known.addAll(cache.arrays());
                        known.add(z);
                        known.add(chunk);
                        known.add(out);
                        long cacheBytes = cache.arrays().stream().mapToLong(WanDecoderMemoryTest::bytes).sum();
                        long leftover = m.getManagedArrays().stream().filter(a -> !known.contains(a))
                                .mapToLong(WanDecoderMemoryTest::bytes).sum();
                        System.out.printf("wan decoder chunk %d: output %d B, cache %d B, other live arrays %d B%n", i,
                                bytes(out), cacheBytes, leftover);
                        assertTrue(leftover < bytes(out), "chunk " + i + " left " + leftover + " B of intermediates "
                                + "alive (output " + bytes(out) + " B)");
                    }
                }
            }
        }
    }
}

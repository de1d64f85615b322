package dev.qvgen.models.vae.cogvideox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.Tensors;
import dev.qvgen.models.vae.VaeOps;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Random;

/**
 * Tiled decode/encode (diffusers' enable_tiling) against the untiled pass on a size that needs
 * 2 × 3 tiles. Tiles see only their own neighbourhood (and GroupNorm statistics of their own
 * area), so the result is not equal to the untiled one; the blending keeps the two close and the
 * output the same size. Measured with the cogvideox-2b toy weights (random weights and white-noise
 * inputs, a harsher case than a trained VAE on real video): decode rel_l2 = 0.27, encode 0.67
 * (the encoder blends only one latent row/column per seam). The tile geometry itself (offsets,
 * crops, blend placement) is checked exactly with a pointwise stand-in for the decoder/encoder.
 */
class CogVideoXVaeTilingTest {
    static final Path VAE = Path.of("../shared/fixtures/golden/cogvideox-2b/pipeline/vae");

    private static NDArray gaussian(NDManager m, long seed, long... shape) {
        Random r = new Random(seed);
        float[] v = new float[(int) new Shape(shape).size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return m.create(v, new Shape(shape));
    }

    @Test
    void tiledDecodeMatchesUntiledWithinBlendingError() {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.fromPretrained(VAE, m);
            // Two latent frames (an even count: both batches of time doubling apply, 8 frames) of 64 × 96 px.
            NDArray z = gaussian(m, 7, 1, 4, 2, 8, 12);
            long t0 = System.nanoTime();
            NDArray full = vae.decode(z);
            // Tiles of 48 px (6 latents), stride 5 latents = 40 px, 8 px blended on each seam.
            vae.enableTiling(48, 48, 1.0 / 6, 1.0 / 6);
            long t1 = System.nanoTime();
            NDArray tiled = vae.decode(z);
            long t2 = System.nanoTime();
            assertEquals(new Shape(1, 3, 8, 64, 96), full.getShape());
            assertEquals(full.getShape(), tiled.getShape());
            double err = Tensors.relativeL2(tiled, full);
            System.out.printf("cogvideox tiled decode vs untiled rel_l2=%.3e (untiled %.2f s, tiled %.2f s)%n",
                    err, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
            assertTrue(err > 1e-5, "tiling must actually have run, rel_l2 " + err);
            assertTrue(err < 0.4, "tiled decode too far from untiled, rel_l2 " + err);

            // Tiles at least as large as the input: no tiling, bit-equal result.
            vae.enableTiling(64, 96, null, null);
            assertEquals(0.0, Tensors.relativeL2(vae.decode(z), full));
        }
    }

    @Test
    void tiledEncodeMatchesUntiledWithinBlendingError() {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKLCogVideoX vae = AutoencoderKLCogVideoX.fromPretrained(VAE, m);
            NDArray x = gaussian(m, 11, 1, 3, 9, 64, 96).tanh();
            NDArray full = vae.encodeMean(x);
            vae.enableTiling(48, 48, 1.0 / 6, 1.0 / 6);
            NDArray tiled = vae.encodeMean(x);
            assertEquals(new Shape(1, 4, 3, 8, 12), full.getShape());
            assertEquals(full.getShape(), tiled.getShape());
            double err = Tensors.relativeL2(tiled, full);
            System.out.printf("cogvideox tiled encode vs untiled rel_l2=%.3e%n", err);
            assertTrue(err > 1e-5, "tiling must actually have run, rel_l2 " + err);
            assertTrue(err < 0.9, "tiled encode too far from untiled, rel_l2 " + err);
        }
    }

    /** Upsampling by 8 is pixel-local, so tiling it must reproduce the untiled result exactly. */
    @Test
    void tileGeometryIsExactForAPointwiseDecoder() {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKLCogVideoX vae = new AutoencoderKLCogVideoX(CogVideoXVaeConfig.read(VAE.resolve("config.json")));
            java.util.function.UnaryOperator<NDArray> up8 = t -> t.repeat(3, 8).repeat(4, 8);
            NDArray z = gaussian(m, 3, 1, 4, 2, 8, 12);
            vae.enableTiling(48, 48, 1.0 / 6, 1.0 / 6);
            NDArray tiled = vae.tiledDecode(z, up8);
            assertEquals(new Shape(1, 4, 2, 64, 96), tiled.getShape());
            assertTrue(Tensors.relativeL2(tiled, up8.apply(z)) < 1e-6);
            // diffusers' default overlap factors (1/6, 1/5) with 48 × 80 px tiles: 3 × 3 tiles.
            NDArray wide = gaussian(m, 5, 1, 4, 1, 14, 20);
            vae.enableTiling(48, 80, 1.0 / 6, 1.0 / 5);
            NDArray t2 = vae.tiledDecode(wide, up8);
            assertEquals(new Shape(1, 4, 1, 112, 160), t2.getShape());
            assertTrue(Tensors.relativeL2(t2, up8.apply(wide)) < 1e-6);
        }
    }

    /** 8 × 8 average pooling is block-local, so tiled "encoding" with it is exact as well. */
    @Test
    void tileGeometryIsExactForABlockwiseEncoder() {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKLCogVideoX vae = new AutoencoderKLCogVideoX(CogVideoXVaeConfig.read(VAE.resolve("config.json")));
            java.util.function.UnaryOperator<NDArray> pool8 = t -> {
                Shape s = t.getShape();
                return t.reshape(s.get(0), s.get(1), s.get(2), s.get(3) / 8, 8, s.get(4) / 8, 8).mean(new int[] {6}).mean(new int[] {4});
            };
            NDArray x = gaussian(m, 9, 1, 3, 1, 64, 96);
            vae.enableTiling(48, 48, 1.0 / 6, 1.0 / 6);
            NDArray tiled = vae.tiledEncode(x, pool8);
            assertEquals(new Shape(1, 3, 1, 8, 12), tiled.getShape());
            assertTrue(Tensors.relativeL2(tiled, pool8.apply(x)) < 1e-6);
        }
    }

    @Test
    void blendFadesLinearlyFromTheUpperTile() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.full(new Shape(1, 1, 1, 6, 2), 10f);
            NDArray b = m.zeros(new Shape(1, 1, 1, 5, 2));
            NDArray out = VaeOps.blend(a, b, 3, 4);
            float[] col = out.get(":, :, :, :, 0").flatten().toFloatArray();
            // Rows 0..3 weight a by 1 - y/4, row 4 is b untouched.
            assertEquals(10f, col[0], 0f);
            assertEquals(7.5f, col[1], 1e-6f);
            assertEquals(5f, col[2], 1e-6f);
            assertEquals(2.5f, col[3], 1e-6f);
            assertEquals(0f, col[4], 0f);
            assertEquals(new Shape(1, 1, 1, 5, 2), out.getShape());
            // Horizontal: the extent is capped by the narrower tile.
            NDArray h = VaeOps.blend(m.ones(new Shape(1, 1, 1, 1, 3)), m.zeros(new Shape(1, 1, 1, 1, 2)), 4, 8);
            assertEquals(1f, h.getFloat(0, 0, 0, 0, 0), 0f);
            assertEquals(0.5f, h.getFloat(0, 0, 0, 0, 1), 1e-6f);
        }
    }
}

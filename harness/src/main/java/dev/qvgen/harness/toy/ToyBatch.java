package dev.qvgen.harness.toy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.EngineOwned;
import dev.qvgen.suites.toy.ToyScene;
import dev.qvgen.suites.toy.ToyVocabulary;
import dev.qvgen.suites.toy.ToyWorld;

import java.util.Random;

/**
 * One training batch of the toy world: clean videos {@code x0} in [-1, 1] (B, 3, F, H, W), Gaussian
 * noise of the same shape, noise levels {@code sigma} in (0, 1) and caption token ids (all padding
 * for the dropped captions that teach the unconditional branch classifier-free guidance needs).
 */
public record ToyBatch(NDArray x0, NDArray noise, NDArray sigma, NDArray ids) {
    /** How noise levels are drawn. */
    public enum Sigmas {
        /** Logit-normal (SD3/Wan pre-training): concentrates on the middle of the path. */
        LOGIT_NORMAL,
        /** Uniform, as the official QVGen training samples its timesteps. */
        UNIFORM,
        /** Logit-normal pushed toward high noise by the sampler's shift 3 (s -> 3s / (1 + 2s)). */
        LOGIT_NORMAL_SHIFT3
    }

    /**
     * The generator of batch {@code step} of a run seeded {@code seed}: each batch has its own
     * stream, so a resumed run sees the data of an uninterrupted one.
     */
    public static Random rng(long seed, int step) {
        return new Random(seed * 1_000_003L + step);
    }

    /** Draws a batch from {@code rng}; the same generator state gives the same batch. */
    public static ToyBatch sample(ToyWorld world, ToyVocabulary vocab, int size, Random rng, float captionDropout,
            Sigmas sigmas, NDManager manager) {
        int f = world.frames();
        int h = world.height();
        int w = world.width();
        int plane = f * h * w;
        int len = ToyVocabulary.DEFAULT_MAX_LENGTH;
        float[] x0 = new float[size * 3 * plane];
        float[] noise = new float[x0.length];
        float[] sigma = new float[size];
        long[] ids = new long[size * len];
        for (int i = 0; i < size; i++) {
            ToyScene scene = world.sampleScene(rng);
            float[][][][] frames = world.render(scene);
            for (int c = 0; c < 3; c++) {
                for (int t = 0; t < f; t++) {
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            x0[(i * 3 + c) * plane + (t * h + y) * w + x] = frames[t][y][x][c] * 2f - 1f;
                        }
                    }
                }
            }
            if (rng.nextFloat() >= captionDropout) {
                int[] tok = vocab.encode(scene.caption(), len);
                for (int k = 0; k < tok.length; k++) {
                    ids[i * len + k] = tok[k];
                }
            }
            sigma[i] = switch (sigmas) {
                case LOGIT_NORMAL -> (float) (1 / (1 + Math.exp(-rng.nextGaussian())));
                // (0, 1) exclusive of the ends, where the path degenerates.
                case UNIFORM -> (float) (0.001 + 0.998 * rng.nextDouble());
                case LOGIT_NORMAL_SHIFT3 -> {
                    double u = 1 / (1 + Math.exp(-rng.nextGaussian()));
                    yield (float) (3 * u / (1 + 2 * u));
                }
            };
        }
        for (int i = 0; i < noise.length; i++) {
            noise[i] = (float) rng.nextGaussian();
        }
        Shape vs = new Shape(size, 3, f, h, w);
        // engine-owned copies: autograd keeps what a training step derives from them (EngineOwned)
        return new ToyBatch(EngineOwned.adopt(manager.create(x0, vs)), EngineOwned.adopt(manager.create(noise, vs)),
                EngineOwned.adopt(manager.create(sigma)), EngineOwned.adopt(manager.create(ids, new Shape(size, len))));
    }

    /** The point {@code x_t = (1 - sigma) x0 + sigma noise} of the rectified-flow path. */
    public NDArray noisy() {
        NDArray s = sigma.reshape(-1, 1, 1, 1, 1);
        return x0.mul(s.neg().add(1f)).add(noise.mul(s));
    }

    /**
     * 1 where a clean pixel differs from the background in any channel, else 0, as (B, 1, F, H, W): the objects,
     * anti-aliased edges included.
     */
    public NDArray objectMask() {
        float bg = ToyWorld.background()[0] * 2f - 1f;
        return x0.sub(bg).abs().max(new int[] {1}, true).gt(1e-3f).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
    }

    /** Timesteps {@code 1000 sigma}, as the transformer takes them. */
    public NDArray timesteps() {
        return sigma.mul(1000f);
    }
}

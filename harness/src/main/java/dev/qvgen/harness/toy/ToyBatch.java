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
        LOGIT_NORMAL_SHIFT3,
        /**
         * Half logit-normal, half uniform on [0.8, 1): where a clip's motion is no longer visible and only the
         * caption can decide it (logit-normal draws sigma >= 0.9 about 1.4% of the time).
         */
        HIGH_NOISE_MIX
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
        return draw(world, vocab, size, rng, captionDropout, sigmas).toArrays(world, manager);
    }

    /**
     * The Java side of a batch: clips, noise, noise levels and token ids as plain arrays, drawn from {@code rng}
     * alone, so any thread can draw a step's batch ahead of time ({@link ToyBatchPrefetcher}).
     */
    public record Host(float[] x0, float[] noise, float[] sigma, long[] ids) {
        /** The batch as engine arrays on {@code manager}'s device. */
        public ToyBatch toArrays(ToyWorld world, NDManager manager) {
            int size = sigma.length;
            Shape vs = new Shape(size, 3, world.frames(), world.height(), world.width());
            // engine-owned copies: autograd keeps what a training step derives from them (EngineOwned)
            return new ToyBatch(EngineOwned.adopt(manager.create(x0, vs)), EngineOwned.adopt(manager.create(noise, vs)),
                    EngineOwned.adopt(manager.create(sigma)),
                    EngineOwned.adopt(manager.create(ids, new Shape(size, ToyVocabulary.DEFAULT_MAX_LENGTH))));
        }
    }

    /** The arrays of {@link #sample}, without an engine. */
    public static Host draw(ToyWorld world, ToyVocabulary vocab, int size, Random rng, float captionDropout,
            Sigmas sigmas) {
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
                case HIGH_NOISE_MIX -> rng.nextBoolean() ? (float) (1 / (1 + Math.exp(-rng.nextGaussian())))
                        : (float) (0.8 + 0.199 * rng.nextDouble());
            };
        }
        for (int i = 0; i < noise.length; i++) {
            noise[i] = (float) rng.nextGaussian();
        }
        return new Host(x0, noise, sigma, ids);
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

package dev.qvgen.harness.toy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import ai.djl.ndarray.NDScope;
import dev.qvgen.layers.nn.Tensors;
import dev.qvgen.models.toy.ToyPipeline;
import dev.qvgen.models.toy.ToyVideoModel;
import dev.qvgen.suites.toy.ToyPrompt;
import dev.qvgen.suites.toy.ToyScene;
import dev.qvgen.suites.toy.ToyVocabulary;
import dev.qvgen.suites.toy.ToyWorld;

import java.util.Random;

/**
 * How close a quantized toy transformer's output stays to the full-precision transformer's on
 * fixed inputs of one prompt: the prompt's clip (placed by the seed) on the rectified-flow path at
 * noise levels 0.3, 0.6 and 0.9 with the seed's noise, conditioned on the caption; the score is
 * {@code 1 - |q - fp| / |fp|} (relative L2 over the three outputs). It is what distillation QAT
 * minimises, measured on the deployed model, without the sampler's and the MP4's amplification:
 * a fault that leaves a gap between the trained and the deployed model (Φ dropped at once instead
 * of decayed) shows here when the videos' scores cannot tell it from noise.
 */
public final class ToyOutputFidelity {
    static final float[] SIGMAS = {0.3f, 0.6f, 0.9f};

    private ToyOutputFidelity() {}

    /** The fidelity of {@code quantized} to {@code fp} on {@code prompt}'s inputs for {@code seed}, at most 1. */
    public static double of(ToyVideoModel fp, ToyVideoModel quantized, ToyWorld world, ToyPrompt prompt, long seed,
            NDManager manager) {
        return of(fp, quantized, world, prompt.scene(), prompt.caption(), seed, manager);
    }

    /**
     * The same for a caption and its parsed scene (what the study has: the caption a video was
     * generated from).
     */
    public static double of(ToyVideoModel fp, ToyVideoModel quantized, ToyWorld world, ToyScene scene,
            String caption, long seed, NDManager manager) {
        int f = world.frames();
        int h = world.height();
        int w = world.width();
        int plane = f * h * w;
        float[][][][] clip = world.render(world.placeScene(scene, new Random(seed)));
        float[] noise = new ToyPipeline(fp, f, h, w).noise(seed);
        int n = SIGMAS.length;
        float[] xt = new float[n * 3 * plane];
        for (int i = 0; i < n; i++) {
            float s = SIGMAS[i];
            for (int c = 0; c < 3; c++) {
                for (int t = 0; t < f; t++) {
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            int k = c * plane + (t * h + y) * w + x;
                            xt[i * 3 * plane + k] = (1 - s) * (clip[t][y][x][c] * 2f - 1f) + s * noise[k];
                        }
                    }
                }
            }
        }
        int len = ToyVocabulary.DEFAULT_MAX_LENGTH;
        int[] tok = new ToyVocabulary().encode(caption, len);
        long[] ids = new long[n * len];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < len; k++) {
                ids[i * len + k] = tok[k];
            }
        }
        float[] t = new float[n];
        for (int i = 0; i < n; i++) {
            t[i] = SIGMAS[i] * 1000f;
        }
        try (NDScope scope = new NDScope()) {
            NDArray x = fp.input(manager.create(xt, new Shape(n, 3, f, h, w)));
            NDArray steps = manager.create(t);
            NDArray text = fp.textEncoder().forward(manager.create(ids, new Shape(n, len)));
            NDArray ref = fp.transformer().forward(x, steps, text);
            NDArray q = quantized.transformer().forward(x, steps, text);
            // Summed in Java in one fixed order (Tensors.relativeL2): libtorch splits a sum across its
            // threads, so its last bits would depend on --threads (the study's rows must not).
            return 1 - Tensors.relativeL2(q.toType(DataType.FLOAT32, false), ref.toType(DataType.FLOAT32, false));
        }
    }
}

package dev.qvgen.models.toy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.models.sched.FlowMatchEulerScheduler;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Text-to-video sampling for the toy model, as Wan's pipeline does it: classifier-free guidance
 * against the empty prompt and the flow-matching Euler sampler (guidance is applied to the
 * predicted sample, which is the same as applying it to the flow at a fixed x_t). The initial noise of each video is
 * drawn from its own seed in Java, so a video does not depend on what else is in its batch.
 */
public final class ToyPipeline {
    private final ToyVideoModel model;
    private final int frames;
    private final int height;
    private final int width;

    public ToyPipeline(ToyVideoModel model, int frames, int height, int width) {
        this.model = model;
        this.frames = frames;
        this.height = height;
        this.width = width;
    }

    public record Settings(int steps, float guidanceScale, double shift) {
        public static Settings defaults() {
            return new Settings(20, 4.0f, 3.0);
        }
    }

    /** Gaussian noise (3, F, H, W) from a seed, independent of engine and batch. */
    public float[] noise(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] v = new float[3 * frames * height * width];
        for (int i = 0; i < v.length; i++) {
            // Box-Muller on SplittableRandom: stable across JDKs, unlike Random.nextGaussian's caching.
            double u1 = rng.nextDouble();
            double u2 = rng.nextDouble();
            v[i] = (float) (Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2));
        }
        return v;
    }

    /**
     * @param tokenIds one row of {@code maxLength} ids per video
     * @return per video, frames (F, H, W, 3) in [0, 1]
     */
    public float[][][][][] generate(NDManager manager, List<long[]> tokenIds, List<Long> seeds, Settings s) {
        int b = tokenIds.size();
        int maxLen = tokenIds.get(0).length;
        long[] ids = new long[b * maxLen];
        for (int i = 0; i < b; i++) {
            System.arraycopy(tokenIds.get(i), 0, ids, i * maxLen, maxLen);
        }
        float[] noise = new float[b * 3 * frames * height * width];
        for (int i = 0; i < b; i++) {
            float[] n = noise(seeds.get(i));
            System.arraycopy(n, 0, noise, i * n.length, n.length);
        }
        FlowMatchEulerScheduler sched = new FlowMatchEulerScheduler(1000, s.shift());
        sched.setTimesteps(s.steps());
        float[] timesteps = sched.timesteps();
        NDArray x = manager.create(noise, new Shape(b, 3, frames, height, width));
        NDArray text;
        try (NDScope scope = new NDScope()) {
            NDArray cond = model.textEncoder().forward(manager.create(ids, new Shape(b, maxLen)));
            NDArray uncond = model.textEncoder().forward(manager.zeros(new Shape(b, maxLen), ai.djl.ndarray.types.DataType.INT64));
            text = NDArrays.concat(new NDList(cond, uncond), 0);
            NDScope.unregister(text);
        }
        for (int i = 0; i < timesteps.length; i++) {
            try (NDScope scope = new NDScope()) {
                NDArray in = model.input(NDArrays.concat(new NDList(x, x), 0));
                NDArray t = manager.full(new Shape(2L * b), timesteps[i]);
                NDArray v = model.transformer().forward(in, t, text);
                NDList parts = v.split(2, 0);
                NDArray guided = parts.get(1).add(parts.get(0).sub(parts.get(1)).mul(s.guidanceScale()));
                NDArray next = sched.step(flowFromSample(x, guided, timesteps[i] / 1000f), i, x);
                NDScope.unregister(next);
                x.close();
                x = next;
            }
        }
        float[] out = x.clip(-1f, 1f).add(1f).mul(0.5f).toFloatArray();
        x.close();
        text.close();
        return toFrames(out, b);
    }

    /**
     * The toy transformer predicts the clean sample x0 rather than the flow: its width (64) is
     * below a patch's 96 pixel values, so it cannot carry per-pixel noise through, but the noise
     * is in x_t already. On the path x_t = (1 - s) x0 + s e the flow is (x_t - x0) / s.
     */
    static NDArray flowFromSample(NDArray xt, NDArray x0, float sigma) {
        return xt.sub(x0).div(sigma);
    }

    private float[][][][][] toFrames(float[] v, int b) {
        float[][][][][] videos = new float[b][frames][height][width][3];
        int plane = frames * height * width;
        for (int i = 0; i < b; i++) {
            int base = i * 3 * plane;
            for (int c = 0; c < 3; c++) {
                for (int f = 0; f < frames; f++) {
                    for (int y = 0; y < height; y++) {
                        for (int xx = 0; xx < width; xx++) {
                            videos[i][f][y][xx][c] = v[base + c * plane + (f * height + y) * width + xx];
                        }
                    }
                }
            }
        }
        return videos;
    }
}

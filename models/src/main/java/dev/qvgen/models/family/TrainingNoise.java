package dev.qvgen.models.family;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * How a family's training objective noises clean latents: the noisy input and the timesteps the
 * transformer sees at noise levels {@code u} in [0, 1) (one per sample, drawn uniformly by the
 * caller, as the official QVGen training draws its timesteps).
 */
public interface TrainingNoise {
    /** Noisy latents and their timesteps in [0, 1000]. */
    record Noised(NDArray input, NDArray timesteps) {}

    Noised apply(NDArray x0, NDArray noise, float[] u);

    /**
     * Rectified flow (Wan2.1, the toy): {@code x_t = (1 - s) x0 + s noise} at {@code s = u},
     * timestep {@code 1000 s}.
     */
    static TrainingNoise flowMatching() {
        return (x0, noise, u) -> {
            NDManager m = x0.getManager();
            NDArray s = m.create(u).reshape(perSample(x0.getShape()));
            NDArray xt = x0.mul(s.neg().add(1f)).add(noise.mul(s));
            return new Noised(xt, m.create(u).mul(1000f));
        };
    }

    /**
     * DDPM on a discrete schedule (CogVideoX): timestep {@code t = floor(u N)},
     * {@code x_t = sqrt(a_t) x0 + sqrt(1 - a_t) noise}.
     */
    static TrainingNoise ddpm(double[] alphasCumprod) {
        return (x0, noise, u) -> {
            NDManager m = x0.getManager();
            float[] a = new float[u.length];
            float[] b = new float[u.length];
            float[] t = new float[u.length];
            for (int i = 0; i < u.length; i++) {
                int ti = Math.min(alphasCumprod.length - 1, (int) Math.floor(u[i] * alphasCumprod.length));
                t[i] = ti;
                a[i] = (float) Math.sqrt(alphasCumprod[ti]);
                b[i] = (float) Math.sqrt(1 - alphasCumprod[ti]);
            }
            Shape per = perSample(x0.getShape());
            NDArray xt = x0.mul(m.create(a).reshape(per)).add(noise.mul(m.create(b).reshape(per)));
            return new Noised(xt, m.create(t));
        };
    }

    private static Shape perSample(Shape s) {
        long[] dims = new long[s.dimension()];
        java.util.Arrays.fill(dims, 1);
        dims[0] = -1;
        return new Shape(dims);
    }
}

package dev.qvgen.models.sched;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Scalars;

import java.nio.file.Path;

/**
 * diffusers' {@code CogVideoXDDIMScheduler}: deterministic DDIM (eta 0) on the SNR-shifted,
 * zero-terminal-SNR schedule of {@link CogVideoXSchedulerConfig}. As in the reference, the
 * previous timestep is {@code t - N / steps} (integer division), not the next entry of the
 * schedule, and the step past timestep 0 uses alpha 1 (or alphas_cumprod[0]).
 */
public final class CogVideoXDDIMScheduler extends CogVideoXScheduler {

    public CogVideoXDDIMScheduler(CogVideoXSchedulerConfig config) {
        super(config);
    }

    public static CogVideoXDDIMScheduler fromConfig(Path file) {
        return new CogVideoXDDIMScheduler(CogVideoXSchedulerConfig.read(file));
    }

    @Override
    public NDArray step(NDArray modelOutput, int index, NDArray sample, Noise noise) {
        return step(modelOutput, timesteps[index], sample);
    }

    @Override
    public java.util.List<NDArray> state() {
        return java.util.List.of();
    }

    /** One DDIM step from training timestep {@code timestep}; returns the previous sample. */
    public NDArray step(NDArray modelOutput, long timestep, NDArray sample) {
        if (timesteps.length == 0) {
            throw new IllegalStateException("call setTimesteps before step");
        }
        long prevT = timestep - config.numTrainTimesteps() / timesteps.length;
        double a = alphasCumprod[(int) timestep];
        double aPrev = prevT >= 0 ? alphasCumprod[(int) prevT] : finalAlphaCumprod;
        NDArray x0 = predictOriginal(modelOutput, sample, a, config.predictionType());
        double at = Math.sqrt((1 - aPrev) / (1 - a));
        double bt = Math.sqrt(aPrev) - Math.sqrt(a) * at;
        return Scalars.mul(sample, (float) at).add(Scalars.mul(x0, (float) bt));
    }

    /** The predicted clean sample for a model output of {@code predictionType} at alphas_cumprod {@code a}. */
    static NDArray predictOriginal(NDArray modelOutput, NDArray sample, double a, String predictionType) {
        double b = 1 - a;
        switch (predictionType) {
            case "epsilon":
                return Scalars.div(sample.sub(Scalars.mul(modelOutput, (float) Math.sqrt(b))), (float) Math.sqrt(a));
            case "sample":
                return modelOutput;
            default: // v_prediction
                return Scalars.mul(sample, (float) Math.sqrt(a)).sub(Scalars.mul(modelOutput, (float) Math.sqrt(b)));
        }
    }
}

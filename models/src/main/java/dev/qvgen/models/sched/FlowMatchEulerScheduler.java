package dev.qvgen.models.sched;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.io.ConfigReader;

import java.nio.file.Path;

/**
 * diffusers' FlowMatchEulerDiscreteScheduler (static shift, no dynamic shifting): sigmas from
 * 1 to the shifted minimum, shifted once more at {@code setTimesteps} exactly as the reference
 * does, and the Euler update {@code x + (sigma_next - sigma) * v}.
 */
public final class FlowMatchEulerScheduler implements Scheduler {
    private final int numTrainTimesteps;
    private final double shift;
    private float[] sigmas = new float[0];
    private float[] timesteps = new float[0];

    public FlowMatchEulerScheduler(int numTrainTimesteps, double shift) {
        this.numTrainTimesteps = numTrainTimesteps;
        this.shift = shift;
    }

    /** Reads {@code scheduler_config.json}; keys it does not model are tolerated only at defaults. */
    public static FlowMatchEulerScheduler fromConfig(Path file) {
        ConfigReader r = ConfigReader.open(file);
        int n = r.has("num_train_timesteps") ? r.getInt("num_train_timesteps") : 1000;
        double shift = r.has("shift") ? r.getDouble("shift") : r.has("flow_shift") ? r.getDouble("flow_shift") : 1.0;
        return new FlowMatchEulerScheduler(n, shift);
    }

    private double shifted(double s) {
        return shift * s / (1 + (shift - 1) * s);
    }

    public void setTimesteps(int steps) {
        double sigmaMax = shifted(1.0);
        double sigmaMin = shifted(1.0 / numTrainTimesteps);
        sigmas = new float[steps + 1];
        timesteps = new float[steps];
        for (int i = 0; i < steps; i++) {
            double t = steps == 1 ? sigmaMax * numTrainTimesteps
                    : sigmaMax * numTrainTimesteps
                            + (sigmaMin - sigmaMax) * numTrainTimesteps * i / (double) (steps - 1);
            float s = (float) shifted(t / numTrainTimesteps);
            sigmas[i] = s;
            timesteps[i] = s * numTrainTimesteps;
        }
        sigmas[steps] = 0f;
    }

    public float[] sigmas() {
        return sigmas.clone();
    }

    public float[] timesteps() {
        return timesteps.clone();
    }

    @Override
    public float[] modelTimesteps() {
        return timesteps();
    }

    @Override
    public NDArray step(NDArray modelOutput, int index, NDArray sample, Noise noise) {
        return step(modelOutput, index, sample);
    }

    @Override
    public java.util.List<NDArray> state() {
        return java.util.List.of();
    }

    /** One Euler step from timestep index {@code i} to {@code i + 1}. */
    public NDArray step(NDArray modelOutput, int i, NDArray sample) {
        return sample.add(modelOutput.mul(sigmas[i + 1] - sigmas[i]));
    }
}

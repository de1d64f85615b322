package dev.qvgen.models.sched;

/**
 * What CogVideoX's DDIM and DPM schedulers share: the SNR-shifted, zero-terminal-SNR schedule of
 * {@link CogVideoXSchedulerConfig}, its timesteps for a step count, and the alpha used past
 * timestep 0 (1, or alphas_cumprod[0] when {@code set_alpha_to_one} is off).
 */
public abstract class CogVideoXScheduler implements Scheduler {
    protected final CogVideoXSchedulerConfig config;
    protected final double[] alphasCumprod;
    protected final double finalAlphaCumprod;
    protected long[] timesteps = new long[0];

    protected CogVideoXScheduler(CogVideoXSchedulerConfig config) {
        this.config = config;
        this.alphasCumprod = config.alphasCumprod();
        this.finalAlphaCumprod = config.setAlphaToOne() ? 1.0 : alphasCumprod[0];
    }

    public CogVideoXSchedulerConfig config() {
        return config;
    }

    public void setTimesteps(int steps) {
        timesteps = config.timesteps(steps);
    }

    public long[] timesteps() {
        return timesteps.clone();
    }

    @Override
    public float[] modelTimesteps() {
        return timestepsAsFloat();
    }

    public float[] timestepsAsFloat() {
        float[] out = new float[timesteps.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = timesteps[i];
        }
        return out;
    }

    /** alphas_cumprod at a training timestep (a copy of the schedule, for tests and callers). */
    public double alphaCumprod(int t) {
        return alphasCumprod[t];
    }
}

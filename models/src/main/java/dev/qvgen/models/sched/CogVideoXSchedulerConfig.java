package dev.qvgen.models.sched;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.ConfigReader;

import java.nio.file.Path;

/**
 * The {@code scheduler_config.json} shared by diffusers' {@code CogVideoXDDIMScheduler} and
 * {@code CogVideoXDPMScheduler} (CogVideoX pipelines swap one for the other on the same config),
 * and the noise schedule both derive from it: the cumulative alphas in float64, SNR-shifted by
 * {@code snr_shift_scale} as in SD3, then optionally rescaled to zero terminal SNR.
 */
public record CogVideoXSchedulerConfig(
        int numTrainTimesteps,
        double betaStart,
        double betaEnd,
        String betaSchedule,
        boolean setAlphaToOne,
        int stepsOffset,
        String predictionType,
        String timestepSpacing,
        boolean rescaleBetasZeroSnr,
        double snrShiftScale) {

    /** CogVideoX-2B's published configuration (v-prediction, zero-SNR, trailing spacing). */
    public static CogVideoXSchedulerConfig cogVideoX2b() {
        return new CogVideoXSchedulerConfig(1000, 0.00085, 0.012, "scaled_linear", true, 0, "v_prediction",
                "trailing", true, 3.0);
    }

    public static CogVideoXSchedulerConfig read(Path file) {
        ConfigReader r = ConfigReader.open(file);
        CogVideoXSchedulerConfig c = new CogVideoXSchedulerConfig(
                SchedulerConfigs.intOr(r, "num_train_timesteps", 1000),
                SchedulerConfigs.doubleOr(r, "beta_start", 0.00085),
                SchedulerConfigs.doubleOr(r, "beta_end", 0.012),
                SchedulerConfigs.oneOf(r, "beta_schedule", "scaled_linear", "linear", "scaled_linear"),
                SchedulerConfigs.boolOr(r, "set_alpha_to_one", true),
                SchedulerConfigs.intOr(r, "steps_offset", 0),
                SchedulerConfigs.oneOf(r, "prediction_type", "epsilon", "epsilon", "sample", "v_prediction"),
                SchedulerConfigs.oneOf(r, "timestep_spacing", "leading", "linspace", "leading", "trailing"),
                SchedulerConfigs.boolOr(r, "rescale_betas_zero_snr", false),
                SchedulerConfigs.doubleOr(r, "snr_shift_scale", 3.0));
        SchedulerConfigs.requireNullIfPresent(r, "trained_betas");
        // The CogVideoX steps never clip the predicted sample, whatever these say.
        SchedulerConfigs.tolerate(r, "clip_sample", "clip_sample_range", "sample_max_value");
        r.rejectUnknownKeys();
        if (c.numTrainTimesteps < 1) {
            throw new CheckpointException(file + ": config key 'num_train_timesteps' must be positive");
        }
        return c;
    }

    /** alphas_cumprod of the training schedule, in float64 like the reference. */
    public double[] alphasCumprod() {
        boolean linear = betaSchedule.equals("linear");
        double[] betas = NoiseSchedules.betas(betaSchedule, betaStart, betaEnd, numTrainTimesteps, true);
        // A float32 ("linear") schedule stays float32 through the cumprod and the SNR shift.
        double[] ac = NoiseSchedules.alphasCumprod(betas, linear);
        for (int i = 0; i < ac.length; i++) {
            double v = ac[i] / (snrShiftScale + (1 - snrShiftScale) * ac[i]);
            ac[i] = linear ? (float) v : v;
        }
        if (rescaleBetasZeroSnr) {
            double first = Math.sqrt(ac[0]);
            double last = Math.sqrt(ac[ac.length - 1]);
            double scale = first / (first - last);
            for (int i = 0; i < ac.length; i++) {
                double s = (Math.sqrt(ac[i]) - last) * scale;
                ac[i] = s * s;
            }
        }
        return ac;
    }

    /** The integer timesteps of an {@code steps}-step schedule, highest first. */
    public long[] timesteps(int steps) {
        if (steps < 1 || steps > numTrainTimesteps) {
            throw new IllegalArgumentException("steps must be in 1.." + numTrainTimesteps + ", got " + steps);
        }
        int n = numTrainTimesteps;
        long[] t = new long[steps];
        switch (timestepSpacing) {
            case "linspace": {
                double[] l = NoiseSchedules.npLinspace(0, n - 1, steps);
                for (int i = 0; i < steps; i++) {
                    t[i] = (long) Math.rint(l[steps - 1 - i]);
                }
                break;
            }
            case "leading": {
                int ratio = n / steps;
                for (int i = 0; i < steps; i++) {
                    t[i] = (long) (steps - 1 - i) * ratio + stepsOffset;
                }
                break;
            }
            default: { // trailing: np.round(np.arange(N, 0, -N / steps)) - 1
                double ratio = n / (double) steps;
                for (int i = 0; i < steps; i++) {
                    t[i] = (long) Math.rint(n - i * ratio) - 1;
                }
                break;
            }
        }
        return t;
    }
}

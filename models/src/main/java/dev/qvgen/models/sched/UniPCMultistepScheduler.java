package dev.qvgen.models.sched;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.ConfigReader;
import dev.qvgen.layers.nn.Scalars;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * diffusers' {@code UniPCMultistepScheduler}: the UniP predictor and UniC corrector in their B(h)
 * form, data prediction ({@code predict_x0}), with either flow-matching sigmas ({@code
 * use_flow_sigmas}, shifted by {@code flow_shift}, as Wan2.1 configures it) or the VP sigmas of a
 * beta schedule.
 *
 * <p>The step is stateful like the reference: {@link #setTimesteps} resets it, and each {@link
 * #step} consumes the next timestep. Scalar coefficients are computed in float64 from the float32
 * sigmas the reference stores; the reference computes them in float32, a difference far below the
 * parity tolerance.
 */
public final class UniPCMultistepScheduler implements Scheduler {

    /** The keys of a {@code scheduler_config.json} that this port reads. */
    public record Config(
            int numTrainTimesteps,
            double betaStart,
            double betaEnd,
            String betaSchedule,
            int solverOrder,
            String predictionType,
            boolean predictX0,
            String solverType,
            boolean lowerOrderFinal,
            int[] disableCorrector,
            boolean useFlowSigmas,
            double flowShift,
            String timestepSpacing,
            int stepsOffset,
            String finalSigmasType) {

        /** The configuration Wan2.1's pipeline ships (flow prediction, shift 3 at 480p). */
        public static Config wanDefault(double flowShift) {
            return new Config(1000, 1e-4, 0.02, "linear", 2, "flow_prediction", true, "bh2", true,
                    new int[0], true, flowShift, "linspace", 0, "zero");
        }

        public static Config read(Path file) {
            ConfigReader r = ConfigReader.open(file);
            Config c = new Config(
                    SchedulerConfigs.intOr(r, "num_train_timesteps", 1000),
                    SchedulerConfigs.doubleOr(r, "beta_start", 1e-4),
                    SchedulerConfigs.doubleOr(r, "beta_end", 0.02),
                    SchedulerConfigs.oneOf(r, "beta_schedule", "linear", "linear", "scaled_linear"),
                    SchedulerConfigs.intOr(r, "solver_order", 2),
                    SchedulerConfigs.oneOf(r, "prediction_type", "epsilon",
                            "epsilon", "sample", "v_prediction", "flow_prediction"),
                    SchedulerConfigs.boolOr(r, "predict_x0", true),
                    // diffusers maps the DPM-Solver names onto bh2 as well.
                    normalizeSolverType(SchedulerConfigs.oneOf(r, "solver_type", "bh2",
                            "bh1", "bh2", "midpoint", "heun", "logrho")),
                    SchedulerConfigs.boolOr(r, "lower_order_final", true),
                    r.has("disable_corrector") ? r.getIntArray("disable_corrector") : new int[0],
                    SchedulerConfigs.boolOr(r, "use_flow_sigmas", false),
                    SchedulerConfigs.doubleOr(r, "flow_shift", 1.0),
                    SchedulerConfigs.oneOf(r, "timestep_spacing", "linspace", "linspace", "leading", "trailing"),
                    SchedulerConfigs.intOr(r, "steps_offset", 0),
                    SchedulerConfigs.oneOf(r, "final_sigmas_type", "zero", "zero", "sigma_min"));
            r.optional("disable_corrector");
            SchedulerConfigs.requireNullIfPresent(r, "trained_betas");
            SchedulerConfigs.requireNullIfPresent(r, "solver_p");
            SchedulerConfigs.requireNullIfPresent(r, "sigma_min");
            SchedulerConfigs.requireNullIfPresent(r, "sigma_max");
            SchedulerConfigs.requireNullIfPresent(r, "shift_terminal");
            SchedulerConfigs.requireFalse(r, "thresholding");
            SchedulerConfigs.requireFalse(r, "use_karras_sigmas");
            SchedulerConfigs.requireFalse(r, "use_exponential_sigmas");
            SchedulerConfigs.requireFalse(r, "use_beta_sigmas");
            SchedulerConfigs.requireFalse(r, "use_dynamic_shifting");
            SchedulerConfigs.requireFalse(r, "rescale_betas_zero_snr");
            // Only used by thresholding and dynamic shifting, both off.
            SchedulerConfigs.tolerate(r, "dynamic_thresholding_ratio", "sample_max_value", "time_shift_type");
            r.rejectUnknownKeys();
            if (c.solverOrder < 1) {
                throw new CheckpointException(file + ": config key 'solver_order' must be at least 1");
            }
            if (!c.predictX0 && c.predictionType.equals("flow_prediction")) {
                throw new CheckpointException(file + ": flow_prediction needs predict_x0 = true");
            }
            if (c.predictionType.equals("flow_prediction") != c.useFlowSigmas) {
                throw new CheckpointException(file + ": prediction_type flow_prediction and use_flow_sigmas go together");
            }
            return c;
        }

        private static String normalizeSolverType(String s) {
            return s.equals("bh1") ? "bh1" : "bh2";
        }
    }

    private final Config config;
    /** VP sigmas sqrt((1 - alphas_cumprod) / alphas_cumprod) of the training schedule (float32 values). */
    private final double[] trainSigmas;

    private float[] sigmas = new float[0];
    private long[] timesteps = new long[0];
    private NDArray[] modelOutputs;
    private NDArray lastSample;
    private int lowerOrderNums;
    private int thisOrder;
    private int stepIndex;

    public UniPCMultistepScheduler(Config config) {
        this.config = config;
        double[] betas = NoiseSchedules.betas(config.betaSchedule, config.betaStart, config.betaEnd,
                config.numTrainTimesteps, false);
        double[] ac = NoiseSchedules.alphasCumprod(betas, true);
        trainSigmas = new double[ac.length];
        for (int i = 0; i < ac.length; i++) {
            trainSigmas[i] = (float) Math.sqrt((float) ((1 - ac[i]) / ac[i]));
        }
        modelOutputs = new NDArray[config.solverOrder];
    }

    public static UniPCMultistepScheduler fromConfig(Path file) {
        return new UniPCMultistepScheduler(Config.read(file));
    }

    public Config config() {
        return config;
    }

    /** Computes the sigmas and timesteps of an {@code steps}-step schedule and resets the solver state. */
    public void setTimesteps(int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be positive, got " + steps);
        }
        int n = config.numTrainTimesteps;
        double[] s = new double[steps];
        if (config.useFlowSigmas) {
            // np.linspace(1, 1/N, steps + 1)[:-1], then the static flow shift.
            double step = (1.0 / n - 1.0) / steps;
            double shift = config.flowShift;
            for (int i = 0; i < steps; i++) {
                double v = i * step + 1.0;
                s[i] = shift * v / (1 + (shift - 1) * v);
            }
            // The reference nudges sigma 1 below 1 so log(alpha) stays finite in the first update.
            if (Math.abs(s[0] - 1) < 1e-6) {
                s[0] -= 1e-6;
            }
            timesteps = new long[steps];
            for (int i = 0; i < steps; i++) {
                timesteps[i] = (long) (s[i] * n); // astype(int64) truncates
            }
        } else {
            timesteps = spacedTimesteps(steps);
            for (int i = 0; i < steps; i++) {
                s[i] = trainSigmas[(int) timesteps[i]];
            }
        }
        sigmas = new float[steps + 1];
        for (int i = 0; i < steps; i++) {
            sigmas[i] = (float) s[i];
        }
        double last;
        if (config.finalSigmasType.equals("zero")) {
            last = 0;
        } else {
            last = config.useFlowSigmas ? s[steps - 1] : trainSigmas[0];
        }
        sigmas[steps] = (float) last;
        modelOutputs = new NDArray[config.solverOrder];
        lastSample = null;
        lowerOrderNums = 0;
        thisOrder = 0;
        stepIndex = 0;
    }

    private long[] spacedTimesteps(int steps) {
        int n = config.numTrainTimesteps;
        long[] t = new long[steps];
        switch (config.timestepSpacing) {
            case "linspace": {
                // np.linspace(0, N - 1, steps + 1).round()[::-1][:-1]
                double[] l = NoiseSchedules.npLinspace(0, n - 1, steps + 1);
                for (int i = 0; i < steps; i++) {
                    t[i] = (long) Math.rint(l[steps - i]);
                }
                return t;
            }
            case "leading": {
                int ratio = n / (steps + 1);
                for (int i = 0; i < steps; i++) {
                    t[i] = (long) (steps - i) * ratio + config.stepsOffset;
                }
                return t;
            }
            default: { // trailing
                double ratio = n / (double) steps;
                for (int i = 0; i < steps; i++) {
                    t[i] = (long) Math.rint(n - i * ratio) - 1;
                }
                return t;
            }
        }
    }

    public float[] sigmas() {
        return sigmas.clone();
    }

    public long[] timesteps() {
        return timesteps.clone();
    }

    public float[] timestepsAsFloat() {
        float[] out = new float[timesteps.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = timesteps[i];
        }
        return out;
    }

    /**
     * The arrays the solver keeps between steps (the last sample and the recent model outputs),
     * so a caller that frees each step's temporaries can keep exactly these.
     */
    @Override
    public float[] modelTimesteps() {
        return timestepsAsFloat();
    }

    /** UniPC keeps its own step counter; {@code index} only has to follow it. */
    @Override
    public NDArray step(NDArray modelOutput, int index, NDArray sample, Noise noise) {
        return step(modelOutput, sample);
    }

    @Override
    public java.util.List<NDArray> state() {
        java.util.List<NDArray> out = new java.util.ArrayList<>();
        if (lastSample != null) {
            out.add(lastSample);
        }
        for (NDArray a : modelOutputs) {
            if (a != null) {
                out.add(a);
            }
        }
        return out;
    }

    /** The index of the timestep the next {@link #step} consumes. */
    public int stepIndex() {
        return stepIndex;
    }

    private double alpha(double sigma) {
        return config.useFlowSigmas ? 1 - sigma : 1 / Math.sqrt(sigma * sigma + 1);
    }

    private double sigmaT(double sigma) {
        return config.useFlowSigmas ? sigma : sigma / Math.sqrt(sigma * sigma + 1);
    }

    private double lambda(double sigma) {
        return Math.log(alpha(sigma)) - Math.log(sigmaT(sigma));
    }

    /** The model output as the solver's data (x0) or noise prediction. */
    private NDArray convert(NDArray modelOutput, NDArray sample) {
        double sigma = sigmas[stepIndex];
        float a = (float) alpha(sigma);
        float st = (float) sigmaT(sigma);
        if (config.predictX0) {
            switch (config.predictionType) {
                case "epsilon":
                    return Scalars.div(sample.sub(Scalars.mul(modelOutput, st)), a);
                case "sample":
                    return modelOutput;
                case "v_prediction":
                    return Scalars.mul(sample, a).sub(Scalars.mul(modelOutput, st));
                default: // flow_prediction: x0 = x - sigma * v
                    return sample.sub(Scalars.mul(modelOutput, (float) sigma));
            }
        }
        switch (config.predictionType) {
            case "epsilon":
                return modelOutput;
            case "sample":
                return Scalars.div(sample.sub(Scalars.mul(modelOutput, a)), st);
            default: // v_prediction
                return Scalars.mul(modelOutput, a).add(Scalars.mul(sample, st));
        }
    }

    /**
     * One solver step from timestep index {@link #stepIndex()} to the next: corrects the sample
     * with the previous prediction (UniC), then predicts the next one (UniP).
     */
    public NDArray step(NDArray modelOutput, NDArray sample) {
        if (stepIndex >= timesteps.length) {
            throw new IllegalStateException("step " + stepIndex + " past the " + timesteps.length
                    + "-step schedule; call setTimesteps first");
        }
        boolean useCorrector = stepIndex > 0 && lastSample != null
                && Arrays.stream(config.disableCorrector).noneMatch(d -> d == stepIndex - 1);
        NDArray converted = convert(modelOutput, sample);
        if (useCorrector) {
            sample = correct(converted, lastSample, sample, thisOrder);
        }
        int order = config.solverOrder;
        System.arraycopy(modelOutputs, 1, modelOutputs, 0, order - 1);
        modelOutputs[order - 1] = converted;

        int o = config.lowerOrderFinal ? Math.min(order, timesteps.length - stepIndex) : order;
        thisOrder = Math.min(o, lowerOrderNums + 1);
        lastSample = sample;
        NDArray prev = predict(sample, thisOrder);
        if (lowerOrderNums < order) {
            lowerOrderNums++;
        }
        stepIndex++;
        return prev;
    }

    /** The coefficients both updates share, for a step from sigma index s0 to t. */
    private final class Coefficients {
        final double alphaT;
        final double sigmaTT;
        final double sigmaS0;
        final double alphaS0;
        final double hPhi1;
        final double bH;
        final double[] rks;
        final double[] b;

        Coefficients(int t, int s0, int[] previous, int order) {
            alphaT = alpha(sigmas[t]);
            sigmaTT = sigmaT(sigmas[t]);
            alphaS0 = alpha(sigmas[s0]);
            sigmaS0 = sigmaT(sigmas[s0]);
            double lambdaS0 = lambda(sigmas[s0]);
            double h = lambda(sigmas[t]) - lambdaS0;
            rks = new double[order];
            for (int i = 1; i < order; i++) {
                rks[i - 1] = (lambda(sigmas[previous[i - 1]]) - lambdaS0) / h;
            }
            rks[order - 1] = 1;
            double hh = config.predictX0 ? -h : h;
            hPhi1 = Math.expm1(hh);
            double hPhiK = hPhi1 / hh - 1;
            bH = config.solverType.equals("bh1") ? hh : Math.expm1(hh);
            b = new double[order];
            double factorial = 1;
            for (int i = 1; i <= order; i++) {
                b[i - 1] = hPhiK * factorial / bH;
                factorial *= i + 1;
                hPhiK = hPhiK / hh - 1 / factorial;
            }
        }

        /** R[i][k] = rks[k]^i for i, k < n. */
        double[][] r(int n) {
            double[][] m = new double[n][n];
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < n; k++) {
                    m[i][k] = Math.pow(rks[k], i);
                }
            }
            return m;
        }

        /** The first, exponential-integrator part of both updates. */
        NDArray base(NDArray x, NDArray m0) {
            if (config.predictX0) {
                return Scalars.mul(x, (float) (sigmaTT / sigmaS0)).sub(Scalars.mul(m0, (float) (alphaT * hPhi1)));
            }
            return Scalars.mul(x, (float) (alphaT / alphaS0)).sub(Scalars.mul(m0, (float) (sigmaTT * hPhi1)));
        }

        float residualScale() {
            return (float) ((config.predictX0 ? alphaT : sigmaTT) * bH);
        }
    }

    /** UniP-order: multistep_uni_p_bh_update. */
    private NDArray predict(NDArray x, int order) {
        int n = modelOutputs.length;
        NDArray m0 = modelOutputs[n - 1];
        int[] previous = new int[Math.max(order - 1, 0)];
        for (int i = 1; i < order; i++) {
            previous[i - 1] = stepIndex - i;
        }
        Coefficients c = new Coefficients(stepIndex + 1, stepIndex, previous, order);
        NDArray xt = c.base(x, m0);
        if (order > 1) {
            double[] rhos;
            if (order == 2) {
                rhos = new double[] {0.5};
            } else {
                rhos = solve(c.r(order - 1), Arrays.copyOf(c.b, order - 1));
            }
            NDArray res = null;
            for (int k = 1; k < order; k++) {
                NDArray d = Scalars.div(modelOutputs[n - 1 - k].sub(m0), (float) c.rks[k - 1]);
                NDArray term = Scalars.mul(d, (float) rhos[k - 1]);
                res = res == null ? term : res.add(term);
            }
            xt = xt.sub(Scalars.mul(res, c.residualScale()));
        }
        return xt;
    }

    /** UniC-order: multistep_uni_c_bh_update, run before the shift of the model-output history. */
    private NDArray correct(NDArray modelT, NDArray x, NDArray thisSample, int order) {
        int n = modelOutputs.length;
        NDArray m0 = modelOutputs[n - 1];
        int[] previous = new int[Math.max(order - 1, 0)];
        for (int i = 1; i < order; i++) {
            previous[i - 1] = stepIndex - (i + 1);
        }
        Coefficients c = new Coefficients(stepIndex, stepIndex - 1, previous, order);
        double[] rhos = order == 1 ? new double[] {0.5} : solve(c.r(order), c.b);
        NDArray xt = c.base(x, m0);
        NDArray res = Scalars.mul(modelT.sub(m0), (float) rhos[order - 1]);
        for (int k = 1; k < order; k++) {
            NDArray d = Scalars.div(modelOutputs[n - 1 - k].sub(m0), (float) c.rks[k - 1]);
            res = res.add(Scalars.mul(d, (float) rhos[k - 1]));
        }
        return xt.sub(Scalars.mul(res, c.residualScale()));
    }

    /** Solves the small dense system a x = b by Gaussian elimination with partial pivoting. */
    static double[] solve(double[][] a, double[] b) {
        int n = b.length;
        double[][] m = new double[n][];
        for (int i = 0; i < n; i++) {
            m[i] = Arrays.copyOf(a[i], n + 1);
            m[i][n] = b[i];
        }
        for (int col = 0; col < n; col++) {
            int piv = col;
            for (int r = col + 1; r < n; r++) {
                if (Math.abs(m[r][col]) > Math.abs(m[piv][col])) {
                    piv = r;
                }
            }
            double[] tmp = m[col];
            m[col] = m[piv];
            m[piv] = tmp;
            for (int r = col + 1; r < n; r++) {
                double f = m[r][col] / m[col][col];
                for (int k = col; k <= n; k++) {
                    m[r][k] -= f * m[col][k];
                }
            }
        }
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            double s = m[i][n];
            for (int k = i + 1; k < n; k++) {
                s -= m[i][k] * x[k];
            }
            x[i] = s / m[i][i];
        }
        return x;
    }
}

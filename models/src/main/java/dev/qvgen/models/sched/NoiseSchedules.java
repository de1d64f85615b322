package dev.qvgen.models.sched;

/** Beta schedules and cumulative alpha products of the variance-preserving diffusers schedulers. */
final class NoiseSchedules {
    private NoiseSchedules() {}

    /**
     * torch.linspace's values: the first half counted up from {@code start}, the second half down
     * from {@code end}, so both ends are exact (float32 arithmetic when {@code fp32}).
     */
    static double[] linspace(double start, double end, int n, boolean fp32) {
        double[] out = new double[n];
        if (n == 1) {
            out[0] = fp32 ? (float) start : start;
            return out;
        }
        int half = n / 2;
        if (fp32) {
            float s = (float) start;
            float e = (float) end;
            float step = (e - s) / (float) (n - 1);
            for (int i = 0; i < n; i++) {
                out[i] = i < half ? s + step * i : e - step * (n - i - 1);
            }
        } else {
            double step = (end - start) / (n - 1);
            for (int i = 0; i < n; i++) {
                out[i] = i < half ? start + step * i : end - step * (n - i - 1);
            }
        }
        return out;
    }

    /**
     * numpy.linspace's values: {@code i * step + start}, the last set to {@code stop} exactly.
     * (It differs from torch's in the last bits of the second half, which can move a rounded
     * timestep: 499.5 rounds to 500 here.)
     */
    static double[] npLinspace(double start, double stop, int n) {
        double[] out = new double[n];
        if (n == 1) {
            out[0] = start;
            return out;
        }
        double step = (stop - start) / (n - 1);
        for (int i = 0; i < n; i++) {
            out[i] = i * step + start;
        }
        out[n - 1] = stop;
        return out;
    }

    /**
     * The betas of {@code beta_schedule} "linear" or "scaled_linear". {@code scaledInFp64} follows
     * the CogVideoX schedulers, which build the scaled-linear schedule in float64; the generic
     * ones build it in float32.
     */
    static double[] betas(String schedule, double betaStart, double betaEnd, int n, boolean scaledInFp64) {
        switch (schedule) {
            case "linear":
                return linspace(betaStart, betaEnd, n, true);
            case "scaled_linear": {
                boolean fp32 = !scaledInFp64;
                double[] b = linspace(Math.sqrt(betaStart), Math.sqrt(betaEnd), n, fp32);
                for (int i = 0; i < n; i++) {
                    b[i] = fp32 ? (float) b[i] * (float) b[i] : b[i] * b[i];
                }
                return b;
            }
            default:
                throw new IllegalArgumentException("beta_schedule " + schedule);
        }
    }

    /**
     * cumprod(1 - betas). For float32 betas torch's CPU cumprod multiplies float32 factors into a
     * float64 accumulator and stores each partial product rounded to float32; this does the same.
     */
    static double[] alphasCumprod(double[] betas, boolean fp32) {
        double[] out = new double[betas.length];
        if (fp32) {
            double p = 1;
            for (int i = 0; i < betas.length; i++) {
                p *= 1f - (float) betas[i];
                out[i] = (float) p;
            }
        } else {
            double p = 1;
            for (int i = 0; i < betas.length; i++) {
                p *= 1 - betas[i];
                out[i] = p;
            }
        }
        return out;
    }
}

package dev.qvgen.quantizer.ptq;

/**
 * SmoothQuant-style channel balancing, which ViDiT-Q and SVDQuant build on: divisors
 * {@code s_j = max|X_j|^alpha / max|W_:,j|^(1 - alpha)} move activation outliers into the weights
 * ({@code X W^T = (X / s)(W diag(s))^T}).
 */
public final class Smoothing {
    /** SmoothQuant's default migration strength. */
    public static final float DEFAULT_ALPHA = 0.5f;

    private Smoothing() {}

    /** @param w (out, in) row-major; actAbsMax (in) from calibration */
    public static float[] divisors(float[] w, int out, int in, float[] actAbsMax, float alpha) {
        float[] s = new float[in];
        for (int j = 0; j < in; j++) {
            float wMax = 0;
            for (int i = 0; i < out; i++) {
                wMax = Math.max(wMax, Math.abs(w[i * in + j]));
            }
            double v = Math.pow(Math.max(actAbsMax[j], 1e-5), alpha) / Math.pow(Math.max(wMax, 1e-5), 1 - alpha);
            s[j] = (float) Math.max(v, 1e-5);
        }
        return s;
    }

    /** {@code W diag(s)}. */
    public static float[] scaleColumns(float[] w, int out, int in, float[] s) {
        float[] r = new float[w.length];
        for (int i = 0; i < out; i++) {
            for (int j = 0; j < in; j++) {
                r[i * in + j] = w[i * in + j] * s[j];
            }
        }
        return r;
    }
}

package dev.qvgen.layers.nn;

import ai.djl.ndarray.NDArray;

/** Small comparisons used by parity checks and tests. */
public final class Tensors {
    private Tensors() {}

    /** ||a - b|| / ||b|| in float64; both arrays must have the same shape. */
    public static double relativeL2(NDArray a, NDArray b) {
        if (!a.getShape().equals(b.getShape())) {
            throw new IllegalArgumentException("shape " + a.getShape() + " vs " + b.getShape());
        }
        float[] x = a.toFloatArray();
        float[] y = b.toFloatArray();
        double num = 0;
        double den = 0;
        for (int i = 0; i < x.length; i++) {
            double d = (double) x[i] - y[i];
            num += d * d;
            den += (double) y[i] * y[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }
}

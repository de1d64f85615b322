package dev.qvgen.quantizer.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.EngineOwned;

/**
 * QVGen's auxiliary module Φ: a low-rank matrix {@code (L diag(alpha)) R} added to the
 * fake-quantized weight, so it sees the quantized activation like the weight does. L is
 * (out, r0), R is (r0, in); components at index {@code >= rank} are zero and masked out, so the
 * shapes (and the optimizer's moments) never change while the rank decays.
 */
public final class LowRankBranch {
    public static final int DEFAULT_RANK = 32;
    /** Layers with more weights than this get Φ from {@link Svd#randomized}. */
    public static final long RANDOMIZED_ABOVE = 1L << 21;

    private final NDArray left;
    private final NDArray right;
    private final int maxRank;
    private int rank;
    private float[] alpha;
    private NDArray alphaArray;

    LowRankBranch(NDArray left, NDArray right, int rank) {
        this.left = left;
        this.right = right;
        this.maxRank = (int) left.getShape().get(1);
        this.rank = rank;
        setAlpha(ones(maxRank, rank));
    }

    /** Rank {@code min(rank, min(out, in) / 2)}: small layers get a smaller Φ. */
    public static int cappedRank(int rank, int out, int in) {
        return Math.max(1, Math.min(rank, Math.min(out, in) / 2));
    }

    /** Initialised from the truncated SVD of the quantization error {@code W - Q(W)}. */
    public static LowRankBranch fromResidual(NDArray w, NDArray wq, int rank, NDManager manager) {
        int out = (int) w.getShape().get(0);
        int in = (int) w.getShape().get(1);
        int r = cappedRank(rank, out, in);
        NDArray residual = w.sub(wq);
        // Dense SVD for the small layers (toy models, tests); randomized for full-size ones, where
        // EJML's dense SVD of a 1536 x 8960 residual takes minutes per layer.
        Svd.Factors f = (long) out * in <= RANDOMIZED_ABOVE
                ? Svd.truncated(residual.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray(), out, in, r)
                : Svd.randomized(residual, r, 10, 2, (long) out * 31 + in);
        residual.close();
        return new LowRankBranch(EngineOwned.adopt(manager.create(f.left(), new Shape(out, r))),
                EngineOwned.adopt(manager.create(f.right(), new Shape(r, in))), f.rank());
    }

    /** {@code (L diag(alpha)) R}, differentiable in L and R. */
    public NDArray delta() {
        return left.mul(alphaArray).matMul(right);
    }

    public int rank() {
        return rank;
    }

    /** For checkpoints: the rank the saved L and R hold (components beyond it are zero). */
    void restoreRank(int r) {
        if (r < 1 || r > maxRank) {
            throw new IllegalArgumentException("rank " + r + " outside 1.." + maxRank);
        }
        rank = r;
        setAlpha(ones(maxRank, r));
    }

    public int maxRank() {
        return maxRank;
    }

    public float[] alpha() {
        return alpha.clone();
    }

    public NDArray left() {
        return left;
    }

    public NDArray right() {
        return right;
    }

    /** Every array Φ owns (factors and coefficients), e.g. to keep them out of an enclosing scope. */
    public NDArray[] arrays() {
        return new NDArray[] {left, right, alphaArray};
    }

    public void setAlpha(float[] a) {
        if (a.length != maxRank) {
            throw new IllegalArgumentException("alpha has " + a.length + " entries, Φ has " + maxRank);
        }
        alpha = a.clone();
        NDArray old = alphaArray;
        // autograd saves alpha for Φ's backward: engine-owned, so closing the old one frees nothing in use
        alphaArray = EngineOwned.adopt(left.getManager().create(alpha, new Shape(1, maxRank)))
                .toDevice(left.getDevice(), false);
        if (old != null) {
            old.close();
        }
    }

    /**
     * Re-factors the kept components {@code L[:, :newRank] R[:newRank]} by SVD into the first
     * {@code newRank} columns/rows and zeroes the rest (the decayed components are dropped).
     * Runs outside autograd, in place.
     */
    public void refactor(int newRank) {
        int out = (int) left.getShape().get(0);
        int in = (int) right.getShape().get(1);
        float[] l = left.toFloatArray();
        float[] r = right.toFloatArray();
        if ((long) out * in > RANDOMIZED_ABOVE) {
            // full-size layers: the SVD of L_k R_k through thin QRs (exact; the dense one takes minutes)
            float[] lk = new float[out * newRank];
            for (int i = 0; i < out; i++) {
                System.arraycopy(l, i * maxRank, lk, i * newRank, newRank);
            }
            float[] rk = java.util.Arrays.copyOf(r, newRank * in);
            Svd.Factors f = Svd.ofProduct(lk, rk, out, newRank, in, maxRank);
            writeKept(f, out, in, newRank);
            return;
        }
        float[] m = new float[out * in];
        for (int i = 0; i < out; i++) {
            for (int k = 0; k < newRank; k++) {
                float lik = l[i * maxRank + k];
                if (lik == 0f) {
                    continue;
                }
                for (int j = 0; j < in; j++) {
                    m[i * in + j] += lik * r[k * in + j];
                }
            }
        }
        writeKept(Svd.truncated(m, out, in, maxRank), out, in, newRank);
    }

    private void writeKept(Svd.Factors f, int out, int in, int newRank) {
        float[] nl = new float[out * maxRank];
        float[] nr = new float[maxRank * in];
        for (int i = 0; i < out; i++) {
            System.arraycopy(f.left(), i * maxRank, nl, i * maxRank, newRank);
        }
        System.arraycopy(f.right(), 0, nr, 0, newRank * in);
        overwrite(left, nl);
        overwrite(right, nr);
        rank = newRank;
    }

    /**
     * Keeps the first {@code newRank} components as they are and zeroes the rest, without the SVD
     * of {@link #refactor} (the magnitude ablation). Runs outside autograd, in place.
     */
    public void truncate(int newRank) {
        int out = (int) left.getShape().get(0);
        int in = (int) right.getShape().get(1);
        float[] l = left.toFloatArray();
        float[] r = right.toFloatArray();
        for (int i = 0; i < out; i++) {
            java.util.Arrays.fill(l, i * maxRank + newRank, (i + 1) * maxRank, 0f);
        }
        java.util.Arrays.fill(r, newRank * in, maxRank * in, 0f);
        overwrite(left, l);
        overwrite(right, r);
        rank = newRank;
    }

    /**
     * Reorders the first {@link #rank()} components by {@code |L_i| |R_i|}, largest first, so the
     * ones a decay drops (the last) are the smallest. Runs outside autograd, in place.
     */
    public void sortByMagnitude() {
        int out = (int) left.getShape().get(0);
        int in = (int) right.getShape().get(1);
        float[] l = left.toFloatArray();
        float[] r = right.toFloatArray();
        double[] size = new double[rank];
        for (int k = 0; k < rank; k++) {
            double ln = 0;
            double rn = 0;
            for (int i = 0; i < out; i++) {
                ln += (double) l[i * maxRank + k] * l[i * maxRank + k];
            }
            for (int j = 0; j < in; j++) {
                rn += (double) r[k * in + j] * r[k * in + j];
            }
            size[k] = Math.sqrt(ln * rn);
        }
        Integer[] order = new Integer[rank];
        for (int k = 0; k < rank; k++) {
            order[k] = k;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(size[b], size[a]));
        float[] nl = l.clone();
        float[] nr = r.clone();
        for (int k = 0; k < rank; k++) {
            int from = order[k];
            for (int i = 0; i < out; i++) {
                nl[i * maxRank + k] = l[i * maxRank + from];
            }
            System.arraycopy(r, from * in, nr, k * in, in);
        }
        overwrite(left, nl);
        overwrite(right, nr);
    }

    private static void overwrite(NDArray target, float[] values) {
        try (NDArray v = target.getManager().create(values, target.getShape()).toDevice(target.getDevice(), false)) {
            target.subi(target).addi(v);
        }
    }

    static float[] ones(int n, int upTo) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 0, upTo, 1f);
        return a;
    }
}

package dev.qvgen.quantizer.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

import java.util.SplittableRandom;

/**
 * Truncated SVD of a small dense matrix on the CPU (EJML), returned as the balanced factors
 * {@code L = U_r sqrt(S_r)} (rows x r) and {@code R = sqrt(S_r) V_r^T} (r x cols), singular values
 * in decreasing order. Φ's matrices are at most a few thousand wide, which EJML handles.
 */
public final class Svd {
    private Svd() {}

    public record Factors(float[] left, float[] right, double[] singularValues, int rank) {}

    public static Factors truncated(float[] m, int rows, int cols, int rank) {
        DMatrixRMaj a = new DMatrixRMaj(rows, cols);
        for (int i = 0; i < m.length; i++) {
            a.data[i] = m[i];
        }
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(rows, cols, true, true, true);
        if (!svd.decompose(a)) {
            throw new IllegalStateException("SVD did not converge (" + rows + "x" + cols + ")");
        }
        DMatrixRMaj u = svd.getU(null, false);
        DMatrixRMaj v = svd.getV(null, false);
        double[] s = svd.getSingularValues();
        int k = Math.min(svd.numberOfSingularValues(), Math.min(rank, Math.min(rows, cols)));
        return balanced(u, v, s, svd.numberOfSingularValues(), rows, cols, rank, k);
    }

    /**
     * Truncated SVD by randomized range finding (Halko, Martinsson, Tropp 2011, Alg. 4.4): the
     * products with the large matrix run in the engine (on the GPU when it is there), EJML only
     * orthonormalises the thin (rows x k) bases and decomposes the small (k x cols) projection.
     * A full-width video transformer's layers (1536 x 8960) take minutes through the dense SVD
     * and milliseconds here; with {@code powerIterations} 2 and {@code oversample} 10 the leading
     * singular values match the dense SVD's to well under 1% on quantization residuals.
     *
     * @param a (rows, cols), any float type; left unchanged
     */
    public static Factors randomized(NDArray a, int rank, int oversample, int powerIterations, long seed) {
        int rows = (int) a.getShape().get(0);
        int cols = (int) a.getShape().get(1);
        int k = Math.min(rank + oversample, Math.min(rows, cols));
        try (NDManager m = a.getManager().newSubManager()) {
            NDArray am = a.toType(DataType.FLOAT32, true);
            am.attach(m);
            float[] omega = new float[cols * k];
            SplittableRandom rnd = new SplittableRandom(seed);
            for (int i = 0; i < omega.length; i++) {
                omega[i] = (float) (rnd.nextDouble() * 2 - 1);
            }
            NDArray q = orthonormal(am.matMul(m.create(omega, new Shape(cols, k))), m);
            for (int it = 0; it < powerIterations; it++) {
                NDArray z = orthonormal(am.transpose().matMul(q), m);
                q = orthonormal(am.matMul(z), m);
            }
            float[] b = q.transpose().matMul(am).toFloatArray(); // (k, cols)
            DMatrixRMaj bm = new DMatrixRMaj(k, cols);
            for (int i = 0; i < b.length; i++) {
                bm.data[i] = b[i];
            }
            SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(k, cols, true, true, true);
            if (!svd.decompose(bm)) {
                throw new IllegalStateException("SVD did not converge (" + k + "x" + cols + ")");
            }
            DMatrixRMaj ub = svd.getU(null, false); // (k, k)
            DMatrixRMaj v = svd.getV(null, false); // (cols, k)
            double[] s = svd.getSingularValues();
            DMatrixRMaj qm = toMatrix(q.toFloatArray(), rows, k);
            DMatrixRMaj u = new DMatrixRMaj(rows, ub.numCols);
            CommonOps_DDRM.mult(qm, ub, u);
            int count = svd.numberOfSingularValues();
            return balanced(u, v, s, count, rows, cols, rank, Math.min(rank, count));
        }
    }

    /**
     * Truncated SVD of the product {@code L R} ({@code L} rows x k, {@code R} k x cols, row-major)
     * without forming it: thin QRs {@code L = Q1 R1}, {@code R^T = Q2 R2}, then the SVD of the
     * k x k core {@code R1 R2^T}. Exact (it is the same matrix), and milliseconds where the dense
     * SVD of a full-size layer's product takes minutes.
     */
    public static Factors ofProduct(float[] l, float[] r, int rows, int k, int cols, int rank) {
        DMatrixRMaj lm = toMatrix(l, rows, k);
        DMatrixRMaj rt = new DMatrixRMaj(cols, k);
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < cols; j++) {
                rt.set(j, i, r[i * cols + j]);
            }
        }
        QRDecomposition<DMatrixRMaj> qr1 = DecompositionFactory_DDRM.qr(rows, k);
        QRDecomposition<DMatrixRMaj> qr2 = DecompositionFactory_DDRM.qr(cols, k);
        if (!qr1.decompose(lm) || !qr2.decompose(rt)) {
            throw new IllegalStateException("QR failed (" + rows + "x" + k + ", " + cols + "x" + k + ")");
        }
        DMatrixRMaj q1 = qr1.getQ(null, true);
        DMatrixRMaj r1 = qr1.getR(null, true);
        DMatrixRMaj q2 = qr2.getQ(null, true);
        DMatrixRMaj r2 = qr2.getR(null, true);
        DMatrixRMaj core = new DMatrixRMaj(k, k);
        CommonOps_DDRM.multTransB(r1, r2, core);
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(k, k, true, true, true);
        if (!svd.decompose(core)) {
            throw new IllegalStateException("SVD did not converge (" + k + "x" + k + ")");
        }
        DMatrixRMaj u = new DMatrixRMaj(rows, k);
        CommonOps_DDRM.mult(q1, svd.getU(null, false), u);
        DMatrixRMaj v = new DMatrixRMaj(cols, k);
        CommonOps_DDRM.mult(q2, svd.getV(null, false), v);
        double[] s = svd.getSingularValues();
        int count = svd.numberOfSingularValues();
        return balanced(u, v, s, count, rows, cols, rank, Math.min(rank, count));
    }

    /**
     * The balanced factors of an SVD {@code u diag(s) v^T} whose first {@code count} singular
     * values may come in any order: the {@code kept} largest, each column scaled by sqrt(s) on
     * both sides, written into rows x rank and rank x cols arrays (columns past kept stay 0).
     */
    private static Factors balanced(DMatrixRMaj u, DMatrixRMaj v, double[] s, int count, int rows, int cols,
            int rank, int kept) {
        Integer[] order = new Integer[count];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(s[y], s[x]));
        float[] left = new float[rows * rank];
        float[] right = new float[rank * cols];
        double[] sv = new double[kept];
        for (int j = 0; j < kept; j++) {
            int c = order[j];
            sv[j] = s[c];
            double root = Math.sqrt(s[c]);
            for (int i = 0; i < rows; i++) {
                left[i * rank + j] = (float) (u.get(i, c) * root);
            }
            for (int i = 0; i < cols; i++) {
                right[j * cols + i] = (float) (v.get(i, c) * root);
            }
        }
        return new Factors(left, right, sv, kept);
    }

    /** Orthonormal basis (thin Q of a QR) of the columns of {@code y} (n, k), back in the engine. */
    private static NDArray orthonormal(NDArray y, NDManager m) {
        int n = (int) y.getShape().get(0);
        int k = (int) y.getShape().get(1);
        DMatrixRMaj ym = toMatrix(y.toFloatArray(), n, k);
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(n, k);
        if (!qr.decompose(ym)) {
            throw new IllegalStateException("QR failed (" + n + "x" + k + ")");
        }
        DMatrixRMaj q = qr.getQ(null, true);
        float[] out = new float[n * k];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) q.data[i];
        }
        return m.create(out, new Shape(n, k)).toDevice(y.getDevice(), false);
    }

    private static DMatrixRMaj toMatrix(float[] f, int rows, int cols) {
        DMatrixRMaj d = new DMatrixRMaj(rows, cols);
        for (int i = 0; i < f.length; i++) {
            d.data[i] = f[i];
        }
        return d;
    }
}

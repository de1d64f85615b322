package dev.qvgen.quantizer.qat;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

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
        Integer[] order = new Integer[svd.numberOfSingularValues()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(s[y], s[x]));
        float[] left = new float[rows * rank];
        float[] right = new float[rank * cols];
        double[] sv = new double[k];
        for (int j = 0; j < k; j++) {
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
        return new Factors(left, right, sv, k);
    }
}

package dev.qvgen.quantizer.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

/** The randomized SVD (full-size layers) agrees with the dense one (small layers). */
class RandomizedSvdTest {
    @Test
    void leadingSingularValuesAndReconstructionMatchDenseSvd() {
        int rows = 240;
        int cols = 180;
        int rank = 12;
        // a decaying spectrum plus noise, like a quantization residual's
        SplittableRandom r = new SplittableRandom(5);
        float[] a = new float[rows * cols];
        for (int c = 0; c < 30; c++) {
            double sigma = Math.pow(0.8, c);
            double[] u = new double[rows];
            double[] v = new double[cols];
            for (int i = 0; i < rows; i++) {
                u[i] = r.nextDouble() - 0.5;
            }
            for (int j = 0; j < cols; j++) {
                v[j] = r.nextDouble() - 0.5;
            }
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    a[i * cols + j] += (float) (sigma * u[i] * v[j]);
                }
            }
        }
        for (int i = 0; i < a.length; i++) {
            a[i] += (float) (1e-3 * (r.nextDouble() - 0.5));
        }
        Svd.Factors dense = Svd.truncated(a, rows, cols, rank);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray am = m.create(a, new Shape(rows, cols));
            Svd.Factors fast = Svd.randomized(am, rank, 10, 2, 1);
            assertEquals(rank, fast.rank());
            for (int j = 0; j < rank; j++) {
                double rel = Math.abs(fast.singularValues()[j] - dense.singularValues()[j]) / dense.singularValues()[j];
                assertTrue(rel < 1e-3, "sigma " + j + " rel " + rel);
            }
            NDArray recDense = m.create(dense.left(), new Shape(rows, rank)).matMul(m.create(dense.right(),
                    new Shape(rank, cols)));
            NDArray recFast = m.create(fast.left(), new Shape(rows, rank)).matMul(m.create(fast.right(),
                    new Shape(rank, cols)));
            double diff = recFast.sub(recDense).norm().getFloat() / recDense.norm().getFloat();
            assertTrue(diff < 1e-3, "rank-" + rank + " reconstructions differ by " + diff);
        }
    }
}

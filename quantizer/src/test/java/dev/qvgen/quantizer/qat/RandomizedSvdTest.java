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

    @Test
    void svdOfAProductMatchesDenseSvdOfTheFormedMatrix() {
        int rows = 90;
        int cols = 70;
        int k = 8;
        int rank = 16;
        SplittableRandom r = new SplittableRandom(9);
        float[] l = new float[rows * k];
        float[] rt = new float[k * cols];
        for (int i = 0; i < l.length; i++) {
            l[i] = (float) (r.nextDouble() - 0.5);
        }
        for (int i = 0; i < rt.length; i++) {
            rt[i] = (float) (r.nextDouble() - 0.5);
        }
        float[] m = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < k; c++) {
                for (int j = 0; j < cols; j++) {
                    m[i * cols + j] += l[i * k + c] * rt[c * cols + j];
                }
            }
        }
        Svd.Factors dense = Svd.truncated(m, rows, cols, rank);
        Svd.Factors thin = Svd.ofProduct(l, rt, rows, k, cols, rank);
        assertEquals(k, thin.rank());
        for (int j = 0; j < k; j++) {
            double rel = Math.abs(thin.singularValues()[j] - dense.singularValues()[j]) / dense.singularValues()[j];
            assertTrue(rel < 1e-5, "sigma " + j + " rel " + rel);
        }
        // same rank-k reconstruction (the product itself); the padding columns are zero
        double err = 0;
        double norm = 0;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double v = 0;
                for (int c = 0; c < rank; c++) {
                    v += thin.left()[i * rank + c] * thin.right()[c * cols + j];
                }
                err += (v - m[i * cols + j]) * (v - m[i * cols + j]);
                norm += m[i * cols + j] * m[i * cols + j];
            }
        }
        assertTrue(Math.sqrt(err / norm) < 1e-5, "reconstruction " + Math.sqrt(err / norm));
    }
}

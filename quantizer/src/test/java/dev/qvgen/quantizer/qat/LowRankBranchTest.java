package dev.qvgen.quantizer.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.Tensors;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

class LowRankBranchTest {
    @Test
    void fullRankPhiReproducesTheQuantizationError() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = random(m, 12, 10, 1);
            LsqPlusWeightQuantizer q = LsqPlusWeightQuantizer.initialise(w, 3, m);
            NDArray wq = q.forward(w);
            NDArray residual = w.sub(wq);
            Svd.Factors f = Svd.truncated(residual.toFloatArray(), 12, 10, 10);
            LowRankBranch phi = new LowRankBranch(m.create(f.left(), new Shape(12, 10)),
                    m.create(f.right(), new Shape(10, 10)), 10);
            assertTrue(Tensors.relativeL2(phi.delta(), residual) < 1e-5, "W_q + Φ must give back W");
            assertTrue(Tensors.relativeL2(wq.add(phi.delta()), w) < 1e-6);
        }
    }

    @Test
    void truncatedPhiIsTheBestRankRApproximation() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = random(m, 16, 12, 2);
            NDArray wq = LsqPlusWeightQuantizer.initialise(w, 2, m).forward(w);
            LowRankBranch phi = LowRankBranch.fromResidual(w, wq, 32, m);
            assertEquals(6, phi.rank(), "rank capped at min(out, in) / 2");
            double err = w.sub(wq).sub(phi.delta()).square().sum().getFloat();
            // Eckart-Young: the error is the energy of the dropped singular values, below the total.
            double total = w.sub(wq).square().sum().getFloat();
            assertTrue(err < total * 0.6, err + " vs " + total);
        }
    }

    @Test
    void refactorKeepsTheProductOfTheKeptComponents() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = random(m, 16, 16, 3);
            NDArray wq = LsqPlusWeightQuantizer.initialise(w, 3, m).forward(w);
            LowRankBranch phi = LowRankBranch.fromResidual(w, wq, 8, m);
            float[] a = LowRankBranch.ones(8, 4);
            phi.setAlpha(a);
            NDArray kept = phi.delta();
            phi.refactor(4);
            phi.setAlpha(LowRankBranch.ones(8, 4));
            assertEquals(4, phi.rank());
            assertTrue(Tensors.relativeL2(phi.delta(), kept) < 1e-5);
            float[] l = phi.left().toFloatArray();
            for (int i = 0; i < 16; i++) {
                for (int k = 4; k < 8; k++) {
                    assertEquals(0f, l[i * 8 + k], "dropped columns are zero");
                }
            }
        }
    }

    @Test
    void removingPhiEqualsPhiAtRankZero() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = random(m, 8, 8, 4);
            LsqPlusWeightQuantizer wq = LsqPlusWeightQuantizer.initialise(w, 3, m);
            LowRankBranch phi = LowRankBranch.fromResidual(w, wq.forward(w), 4, m);
            phi.setAlpha(new float[phi.maxRank()]);
            dev.qvgen.layers.nn.Linear layer = new dev.qvgen.layers.nn.Linear(8, 8, false);
            layer.getParameters().get("weight").setArray(w);
            ClippedDynamicActQuantizer aq = ClippedDynamicActQuantizer.initialise(3, 2, m);
            QatLinearKernel k = new QatLinearKernel(wq, aq, phi);
            NDArray x = random(m, 5, 8, 5);
            float[] withZeroRank = k.apply(layer, x).toFloatArray();
            k.removePhi();
            float[] without = k.apply(layer, x).toFloatArray();
            assertEquals(java.util.Arrays.toString(withZeroRank), java.util.Arrays.toString(without));
        }
    }

    @Test
    void installedPhiIsUsableBeforeAnyDecayStep() {
        try (NDManager m = NDManager.newBaseManager()) {
            dev.qvgen.quantizer.TinyNet net = new dev.qvgen.quantizer.TinyNet(m, 3);
            QatLayers layers = QatLayers.install(net, dev.qvgen.quantizer.QuantSpec.W4A4,
                    dev.qvgen.quantizer.LayerSelection.insideBlocks(java.util.List.of("blocks.")), 4, 4, m);
            NDArray x = random(m, 2, 8, 6);
            // The coefficients survive the install's scope: the forward pass works at once.
            assertEquals(2 * 4, net.forward(x, null).size());
            assertEquals(4, layers.kernels().get("blocks.0.fc1").phi().rank());
        }
    }

    static NDArray random(NDManager m, int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return m.create(v, new Shape(rows, cols));
    }
}

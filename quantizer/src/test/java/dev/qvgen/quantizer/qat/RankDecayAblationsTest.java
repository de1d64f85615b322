package dev.qvgen.quantizer.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.quantizer.Methods;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The ablation methods of the plan toy-ablations do what their names say, on one Φ (rank 8,
 * period 3) driven through the schedule each registered method builds.
 */
class RankDecayAblationsTest {
    /** Each step's rank (0 once removed) and the coefficients seen at each step. */
    record Trace(List<Integer> ranks, List<float[]> alphas) {}

    static Trace trace(String method, int steps, boolean perturb) {
        Methods.Qat qat = Methods.get(method).qat();
        RankDecay decay = qat.decayWithPeriod(3);
        List<Integer> ranks = new ArrayList<>();
        List<float[]> alphas = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = LowRankBranchTest.random(m, 16, 16, 9);
            NDArray wq = LsqPlusWeightQuantizer.initialise(w, 3, m).forward(w);
            LowRankBranch phi = LowRankBranch.fromResidual(w, wq, 8, m);
            SplittableRandom r = new SplittableRandom(4);
            for (int step = 0; step < steps; step++) {
                if (phi != null && decay.apply(phi, step) == RankDecay.Event.REMOVED) {
                    phi = null;
                }
                ranks.add(phi == null ? 0 : phi.rank());
                alphas.add(phi == null ? new float[0] : phi.alpha());
                if (phi != null && perturb) {
                    // stands for training: scale the columns of L so their sizes no longer follow the SVD order
                    float[] l = phi.left().toFloatArray();
                    for (int i = 0; i < l.length; i++) {
                        l[i] *= (float) (0.2 + 3 * ((i % 8) == 7 ? 1 : r.nextDouble() * 0.1));
                    }
                    try (NDArray v = m.create(l, phi.left().getShape())) {
                        phi.left().subi(phi.left()).addi(v);
                    }
                }
            }
        }
        return new Trace(ranks, alphas);
    }

    @Test
    void qvgenWithoutPhiIsLsq() {
        Methods.Qat lsq = Methods.get("lsq").qat();
        Methods.Qat qvgen = Methods.get("qvgen").qat();
        assertEquals(0, lsq.phiRank(), "no low-rank branch");
        assertEquals(qvgen.loss(), lsq.loss());
        assertEquals(qvgen.loraRank(), lsq.loraRank());
    }

    @Test
    void qvgenHalvesByTheSvdSchedule() {
        assertEquals(List.of(8, 8, 8, 4, 4, 4, 2, 2, 2, 1, 1, 1, 0, 0), trace("qvgen", 14, false).ranks());
    }

    @Test
    void noDecayKeepsTheFullRankAndUnitCoefficientsToTheEnd() {
        Trace t = trace("qvgen-no-decay", 14, false);
        t.ranks().forEach(r -> assertEquals(8, r));
        float[] ones = new float[8];
        java.util.Arrays.fill(ones, 1f);
        t.alphas().forEach(a -> assertArrayEquals(ones, a));
    }

    @Test
    void fixedRankKeepsItsRankWhileAllCoefficientsFallTogetherAndIsRemovedWhenSvdDecayEnds() {
        Trace t = trace("qvgen-fixed-rank", 14, false);
        // the same removal step as QVGen's schedule (4 periods of 3), a different rank schedule
        assertEquals(List.of(8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 0, 0), t.ranks());
        assertNotEquals(trace("qvgen", 14, false).ranks(), t.ranks());
        for (int step = 0; step < 12; step++) {
            float[] a = t.alphas().get(step);
            for (float v : a) {
                assertEquals(a[0], v, "one coefficient for every component at step " + step);
            }
            assertEquals(0.5 * (1 + Math.cos(Math.PI * step / 12.0)), a[0], 1e-6);
        }
    }

    @Test
    void magnitudeDecayKeepsTheLargestColumnsWhereSvdDecayReFactors() {
        Trace mag = trace("qvgen-magnitude", 14, true);
        Trace svd = trace("qvgen", 14, true);
        assertEquals(svd.ranks(), mag.ranks(), "the same rank schedule");
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = LowRankBranchTest.random(m, 16, 16, 9);
            NDArray wq = LsqPlusWeightQuantizer.initialise(w, 3, m).forward(w);
            LowRankBranch phi = LowRankBranch.fromResidual(w, wq, 8, m);
            float[] l = phi.left().toFloatArray();
            for (int i = 0; i < 16; i++) {
                l[i * 8 + 7] *= 100; // the smallest singular component becomes the largest column
            }
            try (NDArray v = m.create(l, phi.left().getShape())) {
                phi.left().subi(phi.left()).addi(v);
            }
            float[] before = phi.delta().toFloatArray();
            RankDecay decay = Methods.get("qvgen-magnitude").qat().decayWithPeriod(3);
            decay.apply(phi, 0);
            // sorted, not changed: the same Φ, and the boosted column is now first and kept
            assertArrayEquals(before, phi.delta().toFloatArray(), 1e-4f);
            float[] a = phi.alpha();
            assertEquals(1f, a[0]);
            decay.apply(phi, 3);
            assertEquals(4, phi.rank());
            float[] kept = phi.left().toFloatArray();
            double boosted = 0;
            for (int i = 0; i < 16; i++) {
                boosted += Math.abs(kept[i * 8]);
            }
            assertTrue(boosted > 10 * sumAbs(kept, 1), "the boosted column survived the cut");
        }
    }

    private static double sumAbs(float[] l, int column) {
        double s = 0;
        for (int i = 0; i < 16; i++) {
            s += Math.abs(l[i * 8 + column]);
        }
        return s;
    }

    @Test
    void keepFractionSetsTheRankSchedule() {
        assertEquals(List.of(8, 8, 8, 2, 2, 2, 1, 1, 1, 0), trace("qvgen-keep25", 10, false).ranks());
        assertEquals(List.of(8, 8, 8, 6, 6, 6, 4, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1, 1, 0), trace("qvgen-keep75", 19, false)
                .ranks());
        // fitted to 90% of 160 steps from rank 32: x1/4 takes 32, 8, 2, 1 (4 periods), x3/4 ten
        assertEquals(36, Methods.get("qvgen-keep25").qat().fittedDecay(160, 32, 0.9).period());
        assertEquals(14, Methods.get("qvgen-keep75").qat().fittedDecay(160, 32, 0.9).period());
        assertEquals(24, Methods.get("qvgen").qat().fittedDecay(160, 32, 0.9).period(), "QVGen's own is unchanged");
    }
}

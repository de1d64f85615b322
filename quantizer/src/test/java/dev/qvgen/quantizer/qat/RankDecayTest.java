package dev.qvgen.quantizer.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

class RankDecayTest {
    @Test
    void gammaFallsFromOneToZeroWithinEachPeriod() {
        RankDecay cos = new RankDecay(10, true);
        RankDecay lin = new RankDecay(10, false);
        assertEquals(1f, cos.gamma(0));
        assertEquals(0.5f, cos.gamma(5), 1e-6f);
        assertEquals(0.5 * (1 + Math.cos(Math.PI * 0.9)), cos.gamma(9), 1e-6);
        assertEquals(1f, cos.gamma(10), "a new period starts at 1");
        assertEquals(0.7f, lin.gamma(3), 1e-6f);
        assertArrayEquals(new float[] {1f, 1f, 0.25f, 0.25f, 0f, 0f}, RankDecay.alpha(6, 4, 0.25f));
        assertThrows(IllegalArgumentException.class, () -> new RankDecay(0, true));
    }

    @Test
    void rankHalvesEveryPeriodAndReachesZeroAtTheConfiguredStep() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = LowRankBranchTest.random(m, 16, 16, 9);
            NDArray wq = LsqPlusWeightQuantizer.initialise(w, 3, m).forward(w);
            LowRankBranch phi = LowRankBranch.fromResidual(w, wq, 8, m);
            RankDecay decay = new RankDecay(3, true);
            List<Integer> ranks = new ArrayList<>();
            int removedAt = -1;
            for (int step = 0; step < 20 && removedAt < 0; step++) {
                if (decay.apply(phi, step) == RankDecay.Event.REMOVED) {
                    removedAt = step;
                } else {
                    ranks.add(phi.rank());
                }
            }
            // 8 for one period, then 4, 2, 1, then gone: 4 periods of 3 steps.
            assertEquals(List.of(8, 8, 8, 4, 4, 4, 2, 2, 2, 1, 1, 1), ranks);
            assertEquals(12, removedAt);
            assertEquals(12, decay.stepsToRemoval(8));
            // Rank 32 needs 6 periods; fitted into 90% of 160 steps: period 24, Φ gone at step 144.
            RankDecay fitted = RankDecay.fitting(160, 32, 0.9, true);
            assertEquals(24, fitted.period());
            assertEquals(144, fitted.stepsToRemoval(32));
            assertEquals(1, RankDecay.fitting(3, 32, 0.9, true).period(), "never below one step");
        }
    }
}

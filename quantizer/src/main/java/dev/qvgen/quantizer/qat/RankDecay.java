package dev.qvgen.quantizer.qat;

/**
 * QVGen's rank decay: every {@code period} steps Φ's rank halves. At the start of a period the
 * kept half is re-factored by SVD to the new rank; within the period the coefficients γ of the
 * components about to be dropped (indices [r/2, r)) fall from 1 to 0 (cosine by default, linear as
 * an option) while the kept ones stay at 1. A rank-1 Φ decays as a whole and is removed at the
 * next period boundary.
 */
public record RankDecay(int period, boolean cosine) {
    public RankDecay {
        if (period < 1) {
            throw new IllegalArgumentException("rank-decay period must be positive, got " + period);
        }
    }

    /** γ at {@code step}: 1 at the start of a period, towards 0 at its end. */
    public float gamma(int step) {
        double u = (step % period) / (double) period;
        return (float) (cosine ? 0.5 * (1 + Math.cos(Math.PI * u)) : 1 - u);
    }

    /** What a layer's Φ does at a step. */
    public enum Event { NONE, HALVED, REMOVED }

    /**
     * Brings one Φ to {@code step} (call before the forward pass of that step): halves or removes
     * it at a period boundary, then sets its coefficients.
     */
    public Event apply(LowRankBranch phi, int step) {
        if (PlantedFault.active() == PlantedFault.NO_RANK_DECAY) {
            return Event.NONE;
        }
        Event e = Event.NONE;
        if (step > 0 && step % period == 0) {
            if (phi.rank() >= 2) {
                phi.refactor(phi.rank() / 2);
                e = Event.HALVED;
            } else {
                return Event.REMOVED;
            }
        }
        phi.setAlpha(alpha(phi.maxRank(), phi.rank(), gamma(step)));
        return e;
    }

    static float[] alpha(int maxRank, int rank, float gamma) {
        float[] a = new float[maxRank];
        int keep = rank / 2;
        for (int i = 0; i < rank; i++) {
            a[i] = i < keep ? 1f : gamma;
        }
        return a;
    }

    /** Steps until every Φ of initial rank {@code r0} is removed: one period per halving, plus one. */
    public int stepsToRemoval(int r0) {
        return periods(r0) * period;
    }

    /** Periods until a Φ of initial rank {@code r0} is removed: one per halving, plus one. */
    public static int periods(int r0) {
        int periods = 1;
        for (int r = r0; r >= 2; r /= 2) {
            periods++;
        }
        return periods;
    }

    /**
     * The schedule that removes a Φ of initial rank {@code r0} after {@code fraction} of
     * {@code steps}, so the rest of training sees the model as it will run (period at least 1).
     */
    public static RankDecay fitting(int steps, int r0, double fraction, boolean cosine) {
        return new RankDecay(Math.max(1, (int) Math.floor(fraction * steps / periods(r0))), cosine);
    }
}

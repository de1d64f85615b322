package dev.qvgen.quantizer.qat;

/**
 * QVGen's rank decay: every {@code period} steps Φ's rank shrinks to {@code keep} of itself (a
 * half by default). At the start of a period the kept part is re-factored by SVD to the new rank;
 * within the period the coefficients γ of the components about to be dropped (indices
 * [next rank, r)) fall from 1 to 0 (cosine by default, linear as an option) while the kept ones
 * stay at 1. A rank-1 Φ decays as a whole and is removed at the next period boundary.
 *
 * <p>The {@link Strategy} picks how Φ goes away; everything but {@link Strategy#SVD} exists for the
 * ablations of the paper's mechanism ({@code qvgen reproduce --plan toy-ablations}).
 *
 * @param keep fraction of the rank kept at each boundary, in (0, 1); the new rank is
 *     {@code floor(r * keep)}, at least 1 and below r
 */
public record RankDecay(int period, boolean cosine, Strategy strategy, double keep) {
    /** How Φ is shrunk. */
    public enum Strategy {
        /** QVGen: the rank shrinks at each boundary, the kept part re-factored by SVD (components by singular value). */
        SVD,
        /**
         * The rank shrinks on the same schedule, but the components kept are the trained factors'
         * own columns with the largest {@code |L_i| |R_i|}, without re-factoring.
         */
        MAGNITUDE,
        /**
         * The rank never shrinks: every component's coefficient falls together from 1 to 0 over the
         * span the SVD schedule would take, and Φ is removed at its end (the same removal step).
         */
        FIXED_RANK,
        /** No decay: Φ keeps its full rank until training ends and is then dropped at once. */
        NONE
    }

    /** The paper's: SVD re-factoring, rank halved each period. */
    public static final double HALF = 0.5;

    public RankDecay {
        if (period < 1) {
            throw new IllegalArgumentException("rank-decay period must be positive, got " + period);
        }
        if (!(keep > 0 && keep < 1)) {
            throw new IllegalArgumentException("rank-decay keep fraction must be in (0, 1), got " + keep);
        }
        java.util.Objects.requireNonNull(strategy, "strategy");
    }

    /** QVGen's schedule: SVD re-factoring, rank halved every {@code period} steps. */
    public RankDecay(int period, boolean cosine) {
        this(period, cosine, Strategy.SVD, HALF);
    }

    /** γ at {@code step}: 1 at the start of a period, towards 0 at its end. */
    public float gamma(int step) {
        return ramp((step % period) / (double) period);
    }

    private float ramp(double u) {
        return (float) (cosine ? 0.5 * (1 + Math.cos(Math.PI * u)) : 1 - u);
    }

    /** What a layer's Φ does at a step. */
    public enum Event { NONE, HALVED, REMOVED }

    /**
     * Brings one Φ to {@code step} (call before the forward pass of that step): shrinks or removes
     * it at a period boundary, then sets its coefficients.
     */
    public Event apply(LowRankBranch phi, int step) {
        if (PlantedFault.active() == PlantedFault.NO_RANK_DECAY || strategy == Strategy.NONE) {
            return Event.NONE;
        }
        if (strategy == Strategy.FIXED_RANK) {
            int end = stepsToRemoval(phi.maxRank());
            if (step >= end) {
                return Event.REMOVED;
            }
            float[] a = LowRankBranch.ones(phi.maxRank(), phi.rank());
            java.util.Arrays.fill(a, 0, phi.rank(), ramp(step / (double) end));
            phi.setAlpha(a);
            return Event.NONE;
        }
        Event e = Event.NONE;
        if (step > 0 && step % period == 0) {
            if (phi.rank() >= 2) {
                int next = nextRank(phi.rank());
                if (strategy == Strategy.SVD) {
                    phi.refactor(next);
                } else {
                    phi.truncate(next);
                }
                e = Event.HALVED;
            } else {
                return Event.REMOVED;
            }
        }
        if (strategy == Strategy.MAGNITUDE && (e == Event.HALVED || step == 0)) {
            // the components that fall this period are the smallest by |L_i| |R_i|: put them last
            phi.sortByMagnitude();
        }
        phi.setAlpha(alpha(phi.maxRank(), phi.rank(), nextRankOrZero(phi.rank()), gamma(step)));
        return e;
    }

    /** The rank after the next boundary: {@code floor(r * keep)}, at least 1 and below r (r >= 2). */
    public int nextRank(int r) {
        return Math.max(1, Math.min(r - 1, (int) Math.floor(r * keep)));
    }

    private int nextRankOrZero(int r) {
        return r >= 2 ? nextRank(r) : 0;
    }

    static float[] alpha(int maxRank, int rank, float gamma) {
        return alpha(maxRank, rank, rank / 2, gamma);
    }

    static float[] alpha(int maxRank, int rank, int kept, float gamma) {
        float[] a = new float[maxRank];
        for (int i = 0; i < rank; i++) {
            a[i] = i < kept ? 1f : gamma;
        }
        return a;
    }

    /** Steps until every Φ of initial rank {@code r0} is removed: one period per shrink, plus one. */
    public int stepsToRemoval(int r0) {
        return periods(r0, keep) * period;
    }

    /** Periods until a Φ of initial rank {@code r0} is removed when halved: one per halving, plus one. */
    public static int periods(int r0) {
        return periods(r0, HALF);
    }

    /** Periods until a Φ of initial rank {@code r0} is removed, keeping {@code keep} of it per shrink. */
    public static int periods(int r0, double keep) {
        RankDecay d = new RankDecay(1, true, Strategy.SVD, keep);
        int periods = 1;
        for (int r = r0; r >= 2; r = d.nextRank(r)) {
            periods++;
        }
        return periods;
    }

    /**
     * The schedule that removes a Φ of initial rank {@code r0} after {@code fraction} of
     * {@code steps}, so the rest of training sees the model as it will run (period at least 1).
     */
    public static RankDecay fitting(int steps, int r0, double fraction, boolean cosine) {
        return fitting(steps, r0, fraction, cosine, Strategy.SVD, HALF);
    }

    /** {@link #fitting(int, int, double, boolean)} for another strategy and keep fraction. */
    public static RankDecay fitting(int steps, int r0, double fraction, boolean cosine, Strategy strategy, double keep) {
        return new RankDecay(Math.max(1, (int) Math.floor(fraction * steps / periods(r0, keep))), cosine, strategy,
                keep);
    }

    /** The same schedule shape with another period (e.g. the official recipe's fixed T). */
    public RankDecay withPeriod(int p) {
        return new RankDecay(p, cosine, strategy, keep);
    }
}

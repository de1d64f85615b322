package dev.qvgen.harness.study;

import dev.qvgen.quantizer.qat.ClippedDynamicActQuantizer;
import dev.qvgen.quantizer.qat.LowRankBranch;
import dev.qvgen.quantizer.qat.QatTrainer;

/**
 * A QAT recipe: optimizer steps, samples per step (micro-batch x gradient accumulation), the
 * learning rates as a multiple of the official ones, warm-up, caption dropout, Φ's initial rank
 * and its decay period, clip groups, checkpoint interval and the loss (null: each method's own).
 *
 * @param decayPeriod rank-decay period T in steps; 0 fits T so that Φ is gone after
 *     {@code decayFraction} of the steps
 */
public record QatRecipe(int steps, int batch, int gradAccum, float lrScale, int warmupSteps, float captionDropout,
        long seed, int phiRank, int clipGroups, int decayPeriod, double decayFraction, int checkpointEvery,
        QatTrainer.Loss loss) {

    public QatRecipe {
        if (steps < 1 || batch < 1 || gradAccum < 1 || warmupSteps < 0 || checkpointEvery < 1) {
            throw new IllegalArgumentException("QAT steps, batch, gradient accumulation and checkpoint interval must "
                    + "be positive");
        }
    }

    /**
     * The toy recipe. The official one (lr 3e-5, 2667 steps at batch 48) fits a pre-trained 1.3B
     * model; the toy model learnt at 1e-3, so its QAT uses 10 times the official rates, and T is
     * fitted so that Φ is gone after 90% of the steps.
     */
    public static QatRecipe toy() {
        return new QatRecipe(160, 8, 1, 10f, 16, 0.1f, 0, LowRankBranch.DEFAULT_RANK,
                ClippedDynamicActQuantizer.DEFAULT_GROUPS, 0, 0.9, 40, null);
    }

    /**
     * The official recipe (ModelTC/QVGen script/train, ../shared/paper/README.md): Wan2.1 batch 48
     * for 2667 steps with T = 444, CogVideoX batch 64 for 2000 steps with T = 333; lr 3e-5 (clip
     * 1e-2), warm-up 267, caption dropout 0.05. {@code microBatch} samples per forward; the rest
     * is gradient accumulation.
     */
    public static QatRecipe official(boolean wan, int microBatch) {
        int batch = wan ? 48 : 64;
        if (batch % microBatch != 0) {
            throw new IllegalArgumentException("--batch " + microBatch + " does not divide the recipe's " + batch);
        }
        return new QatRecipe(wan ? 2667 : 2000, microBatch, batch / microBatch, 1f, 267, 0.05f, 0,
                LowRankBranch.DEFAULT_RANK, ClippedDynamicActQuantizer.DEFAULT_GROUPS, wan ? 444 : 333, 1.0, 100,
                null);
    }

    /** The same recipe with other steps and batch (warm-up 10%, checkpoints at most every quarter). */
    public QatRecipe withSteps(int newSteps, int newBatch) {
        return new QatRecipe(newSteps, newBatch, gradAccum, lrScale, Math.max(1, newSteps / 10), captionDropout, seed,
                phiRank, clipGroups, decayPeriod, decayFraction, Math.max(1, Math.min(checkpointEvery, newSteps / 4)),
                loss);
    }

    /** Rank decay fitted to the steps (Φ gone at their end) instead of a fixed period: for runs shorter than the recipe. */
    public QatRecipe withFittedDecay() {
        return new QatRecipe(steps, batch, gradAccum, lrScale, warmupSteps, captionDropout, seed, phiRank, clipGroups, 0,
                1.0, checkpointEvery, loss);
    }

    public QatRecipe withCheckpointEvery(int every) {
        return new QatRecipe(steps, batch, gradAccum, lrScale, warmupSteps, captionDropout, seed, phiRank, clipGroups,
                decayPeriod, decayFraction, every, loss);
    }

    public QatRecipe withGradAccum(int accum) {
        return new QatRecipe(steps, batch, accum, lrScale, warmupSteps, captionDropout, seed, phiRank, clipGroups,
                decayPeriod, decayFraction, checkpointEvery, loss);
    }

    public QatRecipe withLrScale(float scale) {
        return new QatRecipe(steps, batch, gradAccum, scale, warmupSteps, captionDropout, seed, phiRank, clipGroups,
                decayPeriod, decayFraction, checkpointEvery, loss);
    }

    /** The same recipe with the loss forced (null: each method's own). */
    public QatRecipe withLoss(QatTrainer.Loss l) {
        return new QatRecipe(steps, batch, gradAccum, lrScale, warmupSteps, captionDropout, seed, phiRank, clipGroups,
                decayPeriod, decayFraction, checkpointEvery, l);
    }
}

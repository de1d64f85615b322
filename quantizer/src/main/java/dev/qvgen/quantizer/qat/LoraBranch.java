package dev.qvgen.quantizer.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.EngineOwned;

import java.util.SplittableRandom;

/**
 * EfficientDM's quantization-aware LoRA: a low-rank update {@code B A} added to the frozen
 * full-precision weight <em>before</em> the weight quantizer, {@code W_q = Q(W + B A)}, so that
 * merging it after training ({@code W <- W + B A}) leaves a plain quantized layer. A starts
 * Kaiming-uniform (seeded), B at zero, as in LoRA.
 */
public final class LoraBranch {
    private final NDArray down;
    private final NDArray up;

    LoraBranch(NDArray down, NDArray up) {
        this.down = down;
        this.up = up;
    }

    /** @param seed seeds A; layers get distinct seeds from their paths */
    public static LoraBranch initialise(int out, int in, int rank, long seed, NDManager manager) {
        int r = LowRankBranch.cappedRank(rank, out, in);
        SplittableRandom rng = new SplittableRandom(seed);
        float bound = (float) (1 / Math.sqrt(in));
        float[] a = new float[r * in];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
        return new LoraBranch(EngineOwned.adopt(manager.create(a, new Shape(r, in))), manager.zeros(new Shape(out, r)));
    }

    /** {@code B A}, differentiable in both. */
    public NDArray delta() {
        return up.matMul(down);
    }

    public NDArray down() {
        return down;
    }

    public NDArray up() {
        return up;
    }

    public int rank() {
        return (int) down.getShape().get(0);
    }
}

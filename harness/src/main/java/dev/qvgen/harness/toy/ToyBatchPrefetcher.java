package dev.qvgen.harness.toy;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/**
 * Draws the host side of the coming steps' batches on worker threads while the current step trains. Each step's
 * batch comes from its own generator ({@link ToyBatch#rng}), so the arrays are the same whichever thread draws
 * them and in whatever order: the data, and so the training, are those of a run that draws on one thread.
 * Drawing (rendering plus Java's Gaussian noise, about 2 ms a clip) otherwise dominates a GPU step.
 */
public final class ToyBatchPrefetcher implements AutoCloseable {
    private final IntFunction<ToyBatch.Host> draw;
    private final int lastStep;
    private final int lookahead;
    private final ExecutorService pool;
    private final Map<Integer, Future<ToyBatch.Host>> pending = new HashMap<>();

    /**
     * @param draw the batch of a step
     * @param lastStep steps at or after this are never drawn
     * @param threads worker threads; 1 or less draws on the caller's thread when asked
     */
    public ToyBatchPrefetcher(IntFunction<ToyBatch.Host> draw, int lastStep, int threads) {
        this.draw = draw;
        this.lastStep = lastStep;
        this.lookahead = 2 * threads;
        this.pool = threads > 1 ? Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "toy-batches");
            t.setDaemon(true);
            return t;
        }) : null;
    }

    /** The batch of {@code step}; asks the workers for the following ones. */
    public ToyBatch.Host get(int step) {
        if (pool == null) {
            return draw.apply(step);
        }
        for (int s = step; s < Math.min(lastStep, step + lookahead); s++) {
            final int k = s;
            pending.computeIfAbsent(k, x -> pool.submit(() -> draw.apply(k)));
        }
        Future<ToyBatch.Host> f = pending.remove(step);
        try {
            return f != null ? f.get() : draw.apply(step);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while drawing the batch of step " + step, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("drawing the batch of step " + step + " failed: " + e.getCause(), e.getCause());
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}

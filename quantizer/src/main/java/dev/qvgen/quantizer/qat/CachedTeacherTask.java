package dev.qvgen.quantizer.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.train.Blockwise;

/**
 * A QAT task whose teacher outputs come from a {@link TeacherCache} instead of a forward pass:
 * batches and the student are {@code inner}'s, whose teacher is never called (so it need not
 * exist). The trainer draws batch {@code i} and then asks for its teacher output; this task
 * remembers which batch it handed out last and reads output {@code i} for it.
 *
 * <p>A bad shard must not cost finished steps: at the first micro-batch of each step the shards of
 * the next step are read and checked ahead; if one is missing or corrupt, the problem is kept
 * ({@link #problem()}) and {@code onProblemAhead} runs (the trainer's {@link QatTrainer#requestStop}),
 * so the trainer finishes this step, checkpoints and stops. All ranks of a data-parallel run
 * check the whole next step, so they all stop at the same step.
 */
public final class CachedTeacherTask implements QatTrainer.Task {
    private final QatTrainer.Task inner;
    private final TeacherCache cache;
    private final int gradAccum;
    private final int steps;
    private Runnable onProblemAhead = () -> {};
    private QatTrainer.Batch last;
    private int lastIndex = -1;
    private int lookedAheadFrom = -1;
    private String problem;

    /**
     * @param gradAccum micro-batches per step (micro-batch {@code i} belongs to step {@code i / gradAccum})
     * @param steps the run's steps: nothing is read ahead past them
     */
    public CachedTeacherTask(QatTrainer.Task inner, TeacherCache cache, int gradAccum, int steps) {
        this.inner = inner;
        this.cache = cache;
        this.gradAccum = gradAccum;
        this.steps = steps;
    }

    /** Runs when a shard of the next step is missing or corrupt (e.g. the trainer's {@code requestStop}). */
    public CachedTeacherTask onProblemAhead(Runnable r) {
        this.onProblemAhead = r;
        return this;
    }

    /** The one-line problem found ahead (naming the file), or null. */
    public String problem() {
        return problem;
    }

    @Override
    public QatTrainer.Batch batch(int index, NDManager manager) {
        QatTrainer.Batch b = inner.batch(index, manager);
        last = b;
        lastIndex = index;
        return b;
    }

    @Override
    public NDArray student(QatTrainer.Batch b) {
        return inner.student(b);
    }

    @Override
    public Blockwise studentBlockwise(QatTrainer.Batch b) {
        return inner.studentBlockwise(b);
    }

    @Override
    public NDArray teacher(QatTrainer.Batch b) {
        if (b != last) {
            throw new IllegalStateException("teacher output asked for a batch this task did not hand out last");
        }
        int step = lastIndex / gradAccum;
        cache.releaseBefore(step * gradAccum);
        NDArray out = cache.read(lastIndex, b.input().getManager());
        if (step != lookedAheadFrom) {
            lookedAheadFrom = step;
            lookAhead(step + 1);
        }
        return out;
    }

    private void lookAhead(int step) {
        if (step >= steps || problem != null) {
            return;
        }
        try {
            cache.verify(step * gradAccum, (step + 1) * gradAccum);
        } catch (CheckpointException e) {
            problem = e.getMessage();
            onProblemAhead.run();
        }
    }
}

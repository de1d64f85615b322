package dev.qvgen.models.sched;

import ai.djl.ndarray.NDArray;

import java.util.List;

/**
 * A denoising scheduler as a pipeline drives it, whichever one the checkpoint ships: set the
 * step count, feed the transformer {@link #modelTimesteps()}, and call {@link #step} once per
 * entry. A scheduler carries its own multistep state (UniPC's history, DPM's previous x0
 * prediction) between calls, so the pipeline's loop is the same for all of them.
 */
public interface Scheduler {
    /** Source of standard-normal noise shaped like the sample, for stochastic schedulers. */
    @FunctionalInterface
    interface Noise {
        NDArray next(NDArray like);
    }

    void setTimesteps(int steps);

    /** The timestep the transformer sees at each step, as the reference pipeline passes it. */
    float[] modelTimesteps();

    /**
     * Step {@code index} of {@link #modelTimesteps()}: the next sample from the model's output.
     *
     * @param noise draws for stochastic schedulers; deterministic ones ignore it
     */
    NDArray step(NDArray modelOutput, int index, NDArray sample, Noise noise);

    /**
     * Arrays besides the sample that the next step reads (freed by the caller only once a later
     * step has replaced them), so a pipeline can free each step's other temporaries.
     */
    List<NDArray> state();
}

package dev.qvgen.harness.study;

import ai.djl.ndarray.NDManager;

/**
 * The study's {@code output_fidelity} dimension: how close an arm's deployed transformer's output
 * stays to the full-precision transformer's on fixed inputs of one sample (its prompt and seed), at
 * most 1. It sees the gap between the model trained and the model deployed that the sampler and
 * the MP4 hide in the videos (docs/GATE.md).
 *
 * <p>Not a {@code VideoMetric} of the metrics registry: those score decoded frames alone, this one
 * needs both transformers in one process. So the study measures it while the arm is loaded for
 * generation, keeps it beside the arm's videos ({@link OutputFidelityRecord}) and adds it to the
 * rows. Full precision is the reference and gets {@link #FULL_PRECISION} by definition. A model
 * whose {@link StudyModel#outputFidelity()} is empty (the zoo: no reference clip per prompt to
 * noise) leaves the dimension out of its rows, and the study says so.
 */
@FunctionalInterface
public interface OutputFidelity {
    /** The dimension's name in result rows, reports and the gate. */
    String NAME = "output_fidelity";

    /** The full-precision arm's value: its output is the reference. */
    double FULL_PRECISION = 1.0;

    /** What the rows and reports say the dimension is. */
    String DESCRIPTION = "1 - relative L2 of the deployed transformer's output against full precision on the "
            + "prompt's clip noised to sigma 0.3, 0.6, 0.9 with the seed's noise (full precision: 1)";

    /**
     * The fidelity of {@code deployed} to {@code fullPrecision} on {@code sample}'s fixed inputs.
     * Depends on the sample alone (not on which other samples are measured in the same run), so a
     * resumed or sharded run gets the bits of a whole one.
     */
    double of(StudyModel.Instance fullPrecision, StudyModel.Instance deployed, StudyModel.Sample sample,
            NDManager manager);
}

package dev.qvgen.harness.study;

import ai.djl.ndarray.NDManager;

import dev.qvgen.models.family.DenoisingTransformer;
import dev.qvgen.quantizer.qat.QatTrainer;

import java.util.List;

/**
 * The model-specific part of the study; everything else (arms, training, calibration, export,
 * generation order, MP4, scoring, rows) is {@link Study}'s and the same for every model. The toy
 * ({@code harness.toy.ToyStudyModel}) and the zoo ({@code harness.study.ZooStudyModel}) implement it.
 */
public interface StudyModel extends AutoCloseable {
    /** The registry name ({@code ModelRegistry}), e.g. {@code toy-wan}. */
    String name();

    /** Frames per second of the written MP4s. */
    int fps();

    /** Videos generated together: the toy batches, a zoo pipeline generates one prompt at a time. */
    int generationBatch();

    /** Loads the full-precision model into {@code manager}: every arm starts from it. */
    Instance load(NDManager manager);

    /**
     * The model as training needs it: the transformer only where the batches come from cached
     * latents and text states (a zoo model's text encoder and VAE are not in memory while it
     * trains); by default the whole model.
     */
    default Instance loadForTraining(NDManager manager) {
        return load(manager);
    }

    /**
     * Whether QAT recomputes each block in the backward pass unless told otherwise: yes for the zoo's
     * models, which need it at full size; no for the toy, which fits whole and whose published
     * results were made without it (the recomputation sums the gradient of the blocks' shared inputs
     * in another order, which moves a QAT run's last digits).
     */
    default boolean checkpointsActivationsByDefault() {
        return false;
    }

    /**
     * Training and calibration batches seen by {@code teacher} (text states are its, or cached
     * ones): a batch is a function of its index alone, so a resumed run sees the same data.
     */
    Batches batches(Instance teacher);

    /**
     * How this model measures the study's {@link OutputFidelity}, or empty where it cannot: the
     * study then leaves {@code output_fidelity} out of the rows and says so (no constant column).
     * The toy has it (each toy prompt has a reference clip the world renders); a zoo model does not
     * (a VBench prompt has no clip to noise).
     */
    default java.util.Optional<OutputFidelity> outputFidelity() {
        return java.util.Optional.empty();
    }

    /** Releases what the model holds open between loads (e.g. memory-mapped training clips). */
    @Override
    default void close() {}

    /** A loaded model. */
    interface Instance extends AutoCloseable {
        DenoisingTransformer transformer();

        /**
         * Frames (F, H, W, 3) in [0, 1] for each sample of a batch of at most
         * {@link #generationBatch()} samples.
         */
        float[][][][][] generate(NDManager manager, List<Sample> batch, Sampling sampling);

        @Override
        default void close() {}
    }

    /** One video to generate: the prompt text, its seed. */
    record Sample(String prompt, long seed) {}

    /**
     * How to sample: steps and guidance from the plan, the scheduler's shift where the plan sets
     * one (null: the checkpoint's), and the video size (0: the model's published size).
     */
    record Sampling(int steps, double guidance, Double shift, int frames, int height, int width) {}

    /** Batches by index. */
    interface Batches {
        /**
         * @param stream separates uses (training, calibration) of the same indices
         * @param captionDropout probability that a sample's caption is replaced by the empty one
         */
        QatTrainer.Batch batch(long stream, int index, int size, float captionDropout, NDManager manager);
    }
}

package dev.qvgen.models.family;

import ai.djl.ndarray.NDManager;

import dev.qvgen.models.pipeline.VideoPipeline;

import java.nio.file.Path;
import java.util.List;

/**
 * One model family (Wan2.1, CogVideoX, the toy): what the rest of the harness needs to know about
 * it, so nothing outside the family's package switches on its classes. A family is one package
 * with one implementation of this interface, registered in
 * {@code META-INF/services/dev.qvgen.models.family.ModelFamily} and found by {@link ModelFamilies}.
 */
public interface ModelFamily {
    /** Short name, e.g. {@code wan2.1}. */
    String name();

    /** {@code _class_name} of the family's {@code model_index.json}. */
    String pipelineClass();

    /** {@code _class_name} of its {@code transformer/config.json}. */
    String transformerClass();

    /** Scheduler classes its pipeline runs ({@code scheduler/scheduler_config.json}). */
    List<String> schedulerClasses();

    /**
     * Frames per second of the exported videos when a plan does not say (the model card's
     * export rate).
     */
    int defaultFps();

    /** The whole pipeline of a diffusers directory of this family, weights in {@code manager}. */
    VideoPipeline loadPipeline(Path dir, NDManager manager);

    /** How the training objective noises latents, with the schedule of the pipeline in {@code dir}. */
    TrainingNoise trainingNoise(Path pipelineDir);

    /** The transformer of a diffusers {@code transformer/} directory of this family. */
    DenoisingTransformer loadTransformer(Path transformerDir, NDManager manager);
}

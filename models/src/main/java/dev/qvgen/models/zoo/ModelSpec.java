package dev.qvgen.models.zoo;

/**
 * One zoo entry.
 *
 * @param name the registry name, e.g. {@code cogvideox-2b}
 * @param hubId where the diffusers-format checkpoint is published
 * @param pipelineClass {@code _class_name} of the checkpoint's {@code model_index.json}
 */
public record ModelSpec(
        String name,
        String hubId,
        String pipelineClass,
        SamplingDefaults sampling,
        TransformerSpec transformer) {}

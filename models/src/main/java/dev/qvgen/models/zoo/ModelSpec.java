package dev.qvgen.models.zoo;

/**
 * One zoo entry.
 *
 * @param name the registry name, e.g. {@code cogvideox-2b}
 * @param hubId where the diffusers-format checkpoint is published; null for the embedded toy
 * @param pipelineClass {@code _class_name} of the checkpoint's {@code model_index.json}
 */
public record ModelSpec(
        String name,
        String hubId,
        String pipelineClass,
        SamplingDefaults sampling,
        TransformerSpec transformer) {

    /** The name of the embedded toy model, trained here rather than published. */
    public static final String TOY = "toy-wan";

    /** A published checkpoint (the paper's targets and their siblings), not the embedded toy. */
    public boolean published() {
        return hubId != null;
    }

    public dev.qvgen.models.family.ModelFamily family() {
        return transformer.family();
    }
}

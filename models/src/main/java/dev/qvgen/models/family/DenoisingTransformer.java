package dev.qvgen.models.family;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Module;

/**
 * The denoiser of a text-to-video pipeline as the study, the trainer and the profiler drive it:
 * one forward on latents in the family's layout, timesteps in [0, 1000] and text states. An
 * implementation publishes the timesteps to the quantizers (through {@code ForwardContext}) for
 * the duration of the forward, so timestep-aware quantizers need no family knowledge.
 */
public interface DenoisingTransformer {
    NDArray forward(NDArray latents, NDArray timesteps, NDArray text);

    /**
     * The same forward cut at its block boundaries, for per-block activation checkpointing
     * ({@link dev.qvgen.layers.train.ActivationCheckpointing}); null for a model that only runs
     * whole (then training keeps every block's activations; {@link #cutsAtBlocks} says which).
     */
    default dev.qvgen.layers.train.Blockwise blockwise(NDArray latents, NDArray timesteps, NDArray text) {
        return null;
    }

    /** Whether {@link #blockwise} cuts this model at its blocks (it returns null otherwise). */
    default boolean cutsAtBlocks() {
        return false;
    }

    /**
     * Dotted path prefixes of the transformer blocks ({@code blocks.} for Wan,
     * {@code transformer_blocks.} for CogVideoX): the paper quantizes every linear under them and
     * keeps the embeddings and the output projection in full precision.
     */
    java.util.List<String> blockPrefixes();

    /** How many blocks it has: the modules named {@code <prefix><index>}. */
    default int blockCount() {
        return (int) module().namedModules().keySet().stream()
                .filter(p -> blockPrefixes().stream()
                        .anyMatch(b -> p.startsWith(b) && p.substring(b.length()).matches("\\d+")))
                .count();
    }

    /** This transformer as a module tree (its linears are what quantizers swap kernels into). */
    default Module module() {
        return (Module) this;
    }

    /**
     * The transformer of a module that is one, e.g. a loaded checkpoint typed as {@link Module}.
     *
     * @throws IllegalArgumentException naming the class otherwise
     */
    static DenoisingTransformer of(Module m) {
        if (m instanceof DenoisingTransformer t) {
            return t;
        }
        throw new IllegalArgumentException("not a denoising transformer: " + m.getClass().getSimpleName());
    }
}

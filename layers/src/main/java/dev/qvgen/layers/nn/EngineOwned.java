package dev.qvgen.layers.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

/**
 * Keeps Java-owned memory out of tensors that autograd may keep.
 *
 * <p>On the CPU, DJL 0.36's PyTorch engine does not copy Java data into the engine: an array made
 * by {@code manager.create(float[])} wraps a Java direct buffer ({@code torch::from_blob}, no
 * deleter), and {@code NDArray.set(Buffer)} replaces an existing tensor's storage with one. The
 * buffer lives only as long as that one Java handle holds it; the native tensor, and every
 * autograd node that saved it, does not keep it alive. Once the handle is closed (an NDScope
 * ending, an array replaced) the garbage collector may free the buffer while a backward pass,
 * which runs concurrently with the collector, still reads it: wrong gradients at best, a
 * SIGSEGV in {@code torchBackward} at worst. Trainable state (parameters, quantizer steps, Φ,
 * LoRA factors) and every constant a training forward uses are therefore copied into memory the
 * engine allocates and owns, and checkpoints are copied into that memory rather than swapped in.
 */
public final class EngineOwned {
    private EngineOwned() {}

    /**
     * A copy of {@code a} in engine-allocated memory, on {@code a}'s manager and device; {@code a}
     * is closed. Use on arrays just made from Java data.
     */
    public static NDArray adopt(NDArray a) {
        NDArray copy = a.duplicate();
        a.close();
        return copy;
    }

    /**
     * Copies {@code source}'s values into {@code target}'s existing storage (an engine-side copy):
     * unlike {@code target.set(source.toByteBuffer())}, the target keeps memory the engine owns.
     */
    public static void copyInto(NDArray target, NDArray source) {
        if (!target.getShape().equals(source.getShape())) {
            throw new IllegalArgumentException("shape " + source.getShape() + " cannot be copied into "
                    + target.getShape());
        }
        NDArray typed = source.getDataType() == target.getDataType() ? source
                : source.toType(target.getDataType(), false);
        try {
            target.set(new NDIndex("..."), typed.toDevice(target.getDevice(), false));
        } finally {
            if (typed != source) {
                typed.close();
            }
        }
    }
}

package dev.qvgen.layers.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import java.io.Closeable;
import java.util.Set;

/** Named tensors of a checkpoint, read lazily so a large model is never held twice. */
public interface WeightSource extends Closeable {
    Set<String> names();

    TensorInfo info(String name);

    /** Loads a tensor as float32 (float types are widened) or int64 (integer types). */
    NDArray load(String name, NDManager manager);

    /**
     * Loads a floating-point tensor stored as {@code floatType} (FLOAT32 or FLOAT16); integer
     * tensors as {@link #load(String, NDManager)}. Sources that can convert while reading
     * override this so the tensor is never held in two precisions at once.
     */
    default NDArray load(String name, NDManager manager, DataType floatType) {
        NDArray a = load(name, manager);
        if (!a.getDataType().isFloating() || a.getDataType() == floatType) {
            return a;
        }
        NDArray out = a.toType(floatType, false);
        a.close();
        return out;
    }

    /**
     * Loads a floating-point tensor as raw little-endian bfloat16 bytes (UINT8, two per value; see
     * {@code nn.Bfloat16}): a bfloat16 checkpoint's bytes as stored, other types rounded to
     * nearest even.
     */
    default NDArray loadBf16Bytes(String name, NDManager manager) {
        try (NDArray a = load(name, manager)) {
            byte[] b = dev.qvgen.layers.nn.Bfloat16.bytes(a.toFloatArray());
            return manager.create(java.nio.ByteBuffer.wrap(b), new ai.djl.ndarray.types.Shape(b.length),
                    DataType.UINT8);
        }
    }

    /** The file or directory this source reads, for error messages. */
    String describe();

    @Override
    void close();
}

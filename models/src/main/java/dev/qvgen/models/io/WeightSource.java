package dev.qvgen.models.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.io.Closeable;
import java.util.Set;

/** Named tensors of a checkpoint, read lazily so a large model is never held twice. */
public interface WeightSource extends Closeable {
    Set<String> names();

    TensorInfo info(String name);

    /** Loads a tensor as float32 (float types are widened) or int64 (integer types). */
    NDArray load(String name, NDManager manager);

    /** The file or directory this source reads, for error messages. */
    String describe();

    @Override
    void close();
}

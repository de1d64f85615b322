package dev.qvgen.metrics.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.qvgen.models.io.CheckpointException;
import dev.qvgen.models.io.TensorInfo;
import dev.qvgen.models.io.WeightSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A checkpoint's tensors under the model's names: each exposed name maps to the name stored in
 * the file (e.g. without DataParallel's {@code module.} or a trainer's {@code state_dict.}).
 * Which names are kept, and how collisions are treated, is the caller's choice.
 */
public final class RenamedWeights implements WeightSource {
    private final WeightSource source;
    private final Map<String, String> original;

    /** @param original model name to stored name, in the order {@link #names()} lists them */
    public RenamedWeights(WeightSource source, Map<String, String> original) {
        this.source = source;
        this.original = new LinkedHashMap<>(original);
    }

    @Override
    public Set<String> names() {
        return original.keySet();
    }

    @Override
    public TensorInfo info(String name) {
        return source.info(stored(name));
    }

    @Override
    public NDArray load(String name, NDManager manager) {
        return source.load(stored(name), manager);
    }

    private String stored(String name) {
        String full = original.get(name);
        if (full == null) {
            throw new CheckpointException(source.describe() + ": no tensor named " + name);
        }
        return full;
    }

    @Override
    public String describe() {
        return source.describe();
    }

    @Override
    public void close() {
        source.close();
    }
}

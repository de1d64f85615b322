package dev.qvgen.layers.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A checkpoint's tensors under the model's names: each exposed name maps to the name stored in
 * the file (e.g. without DataParallel's {@code module.} or a trainer's {@code state_dict.}, or a
 * tied tensor under its second name). Which names are kept is the caller's choice; the caller
 * also closes the wrapped source.
 */
public final class RenamedWeights implements WeightSource {
    private final WeightSource source;
    private final Map<String, String> original;

    /** @param original model name to stored name, in the order {@link #names()} lists them */
    public RenamedWeights(WeightSource source, Map<String, String> original) {
        this.source = source;
        this.original = new LinkedHashMap<>(original);
    }

    /**
     * Every tensor, named without {@code prefix} where it has one.
     *
     * @throws CheckpointException when a prefixed and an unprefixed tensor would share a name
     */
    public static RenamedWeights withoutPrefix(WeightSource source, String prefix) {
        Map<String, String> original = new TreeMap<>();
        for (String name : source.names()) {
            String shortName = name.startsWith(prefix) ? name.substring(prefix.length()) : name;
            if (original.putIfAbsent(shortName, name) != null) {
                throw new CheckpointException(source.describe() + ": both " + name + " and "
                        + original.get(shortName) + " name tensor " + shortName);
            }
        }
        return new RenamedWeights(source, original);
    }

    /** Only the tensors under {@code prefix}, named without it. */
    public static RenamedWeights under(WeightSource source, String prefix) {
        Map<String, String> original = new TreeMap<>();
        for (String name : source.names()) {
            if (name.startsWith(prefix)) {
                original.put(name.substring(prefix.length()), name);
            }
        }
        return new RenamedWeights(source, original);
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

    @Override
    public NDArray load(String name, NDManager manager, DataType floatType) {
        return source.load(stored(name), manager, floatType);
    }

    @Override
    public NDArray loadBf16Bytes(String name, NDManager manager) {
        return source.loadBf16Bytes(stored(name), manager);
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
        // the caller closes the wrapped source
    }
}

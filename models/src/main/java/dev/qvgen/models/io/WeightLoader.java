package dev.qvgen.models.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.models.nn.Module;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Assigns a checkpoint's tensors to a module's parameters by their reference names. Every name
 * and shape is checked before the first tensor is read, so a wrong checkpoint fails fast and
 * names the tensor.
 */
public final class WeightLoader {
    private WeightLoader() {}

    public static void load(Module root, WeightSource source, NDManager manager, Set<String> ignoredExtra) {
        Map<String, Parameter> params = root.namedParameters();
        Map<String, Shape> shapes = declaredShapes(root);
        for (var e : params.entrySet()) {
            String name = e.getKey();
            if (!source.names().contains(name)) {
                throw new CheckpointException(source.describe() + ": missing tensor " + name);
            }
            long[] actual = source.info(name).shape();
            long[] expected = shapes.get(name).getShape();
            if (!Arrays.equals(actual, expected)) {
                throw new CheckpointException(source.describe() + ": tensor " + name + " has shape "
                        + Arrays.toString(actual) + ", expected " + Arrays.toString(expected));
            }
        }
        Set<String> extra = new TreeSet<>(source.names());
        extra.removeAll(params.keySet());
        extra.removeAll(ignoredExtra);
        if (!extra.isEmpty()) {
            throw new CheckpointException(source.describe() + ": unexpected tensor " + extra.iterator().next()
                    + (extra.size() > 1 ? " (and " + (extra.size() - 1) + " more)" : ""));
        }
        for (var e : params.entrySet()) {
            NDArray a = source.load(e.getKey(), manager);
            e.getValue().setArray(a);
        }
    }

    /** Declared shapes of every parameter below {@code root}, keyed like {@link Module#namedParameters()}. */
    public static Map<String, Shape> declaredShapes(Module root) {
        Map<String, Shape> out = new java.util.LinkedHashMap<>();
        root.namedModules().forEach((path, m) -> m.declaredShapes()
                .forEach((k, v) -> out.put(path.isEmpty() ? k : path + "." + k, v)));
        return out;
    }
}

package dev.qvgen.metrics.tag2text;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.RenamedWeights;
import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.io.WeightSource;
import dev.qvgen.layers.nn.Module;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Loads one part of the Tag2Text checkpoint (every part lives in one {@code {'model': state_dict}}
 * file) from the tensors under a prefix.
 */
final class SubtreeWeights {
    private SubtreeWeights() {}

    /**
     * Tensors the part does not use are ignored, as VBench's {@code load_state_dict(strict=False)}
     * does; a missing or misshapen one is an error naming the file and the tensor's full stored
     * name, so the message points at the checkpoint entry rather than the part's own name.
     */
    static void load(Module part, WeightSource source, String prefix, NDManager manager) {
        for (Map.Entry<String, Shape> e : WeightLoader.declaredShapes(part).entrySet()) {
            String name = prefix + e.getKey();
            if (!source.names().contains(name)) {
                throw new CheckpointException(source.describe() + ": missing tensor " + name);
            }
            long[] actual = source.info(name).shape();
            if (!Arrays.equals(actual, e.getValue().getShape())) {
                throw new CheckpointException(source.describe() + ": tensor " + name + " has shape "
                        + Arrays.toString(actual) + ", expected " + Arrays.toString(e.getValue().getShape()));
            }
        }
        WeightSource sub = prefix.isEmpty() ? source : RenamedWeights.under(source, prefix);
        Set<String> unused = new TreeSet<>(sub.names());
        unused.removeAll(part.namedParameters().keySet());
        WeightLoader.load(part, sub, manager, unused);
    }
}

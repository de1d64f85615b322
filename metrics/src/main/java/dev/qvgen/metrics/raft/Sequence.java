package dev.qvgen.metrics.raft;

import dev.qvgen.layers.nn.Module;

/**
 * A holder for nn.Sequential children, named by their index in the reference model (parameter-free
 * entries such as ReLU keep their index, so names like {@code mask.2.weight} match the checkpoint).
 * The owner applies the children itself.
 */
final class Sequence extends Module {
    <M extends Module> M put(int index, M module) {
        return child(Integer.toString(index), module);
    }
}

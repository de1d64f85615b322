package dev.qvgen.quantizer;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Picks the linear layers of a block tree to quantize, by their dotted paths. */
public final class LayerSelection {
    private LayerSelection() {}

    /**
     * The paper's (and ViDiT-Q's) choice: every linear layer inside the transformer blocks; patch,
     * text and time embeddings and the final projection stay full precision. The block prefixes
     * are the model family's ({@code ModelFamily.blockPrefixes()}): this module knows layers, not
     * families.
     */
    public static Predicate<String> insideBlocks(List<String> blockPrefixes) {
        if (blockPrefixes.isEmpty()) {
            throw new IllegalArgumentException("no block prefixes");
        }
        List<String> prefixes = List.copyOf(blockPrefixes);
        return path -> prefixes.stream().anyMatch(path::startsWith);
    }

    public static Map<String, Linear> linears(Module root, Predicate<String> select) {
        Map<String, Linear> out = new LinkedHashMap<>();
        root.namedModules().forEach((path, m) -> {
            if (m instanceof Linear l && select.test(path)) {
                out.put(path, l);
            }
        });
        return out;
    }
}

package dev.qvgen.layers.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** An indexed list of modules named "0", "1", ... as in torch.nn.ModuleList. */
public final class ModuleList<M extends Module> extends Module {
    private final List<M> items = new ArrayList<>();

    public M add(M module) {
        child(String.valueOf(items.size()), module);
        items.add(module);
        return module;
    }

    public List<M> items() {
        return Collections.unmodifiableList(items);
    }

    public M get(int i) {
        return items.get(i);
    }

    public int size() {
        return items.size();
    }
}

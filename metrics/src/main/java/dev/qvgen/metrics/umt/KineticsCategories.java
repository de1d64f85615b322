package dev.qvgen.metrics.umt;

import dev.qvgen.layers.io.CheckpointException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The classifier's class names by output index, read from VBench's
 * {@code kinetics_400_categories.txt}: one {@code name<TAB>index} line per class, names
 * compared lower-cased as VBench's {@code build_dict} does.
 */
public final class KineticsCategories {
    private final String[] names;

    private KineticsCategories(String[] names) {
        this.names = names;
    }

    /** @throws CheckpointException naming the file and line when it is not such a list */
    public static KineticsCategories load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read (" + e.getMessage() + ")");
        }
        List<String> rows = lines.stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
        if (rows.isEmpty()) {
            throw new CheckpointException(file + ": no class names");
        }
        String[] names = new String[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            String[] parts = rows.get(i).split("\t");
            int index;
            try {
                index = parts.length == 2 ? Integer.parseInt(parts[1].strip()) : -1;
            } catch (NumberFormatException e) {
                index = -1;
            }
            if (index < 0 || index >= names.length || names[index] != null) {
                throw new CheckpointException(file + ": line '" + rows.get(i) + "' is not 'name<TAB>index' with a new "
                        + "index below " + names.length);
            }
            names[index] = parts[0].strip().toLowerCase(java.util.Locale.ROOT);
        }
        return new KineticsCategories(names);
    }

    public int size() {
        return names.length;
    }

    public String name(int index) {
        return names[index];
    }
}

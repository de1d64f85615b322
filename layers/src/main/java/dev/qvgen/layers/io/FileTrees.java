package dev.qvgen.layers.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Whole directory trees on disk. */
public final class FileTrees {
    private FileTrees() {}

    /**
     * Deletes {@code p} and everything below it, deepest first.
     *
     * @return whether there was anything to delete
     */
    public static boolean delete(Path p) throws IOException {
        if (!Files.exists(p)) {
            return false;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
        return true;
    }
}

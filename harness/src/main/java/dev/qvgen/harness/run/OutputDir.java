package dev.qvgen.harness.run;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.layers.io.IoErrors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An output directory checked before any work: it must be a directory (or creatable as one) in
 * which files can be created. The checks give the operating system's reason ({@code --out /proc/x}:
 * "No such file or directory"; a read-only mount: "Read-only file system"), so a run never
 * generates for minutes and then fails on its first write.
 */
public final class OutputDir {
    private OutputDir() {}

    /**
     * Checks {@code dir} without creating anything: an existing directory must take a new file; a
     * missing one must be creatable (its nearest existing ancestor a writable directory).
     *
     * @throws BadInputException naming the flag, the path and the reason
     */
    public static void check(String flag, Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        if (Files.exists(abs)) {
            if (!Files.isDirectory(abs)) {
                throw new BadInputException(flag + " " + dir + ": " + kind(abs) + ", not a directory");
            }
            probe(flag, dir, abs);
            return;
        }
        Path parent = abs.getParent();
        while (parent != null && !Files.exists(parent)) {
            parent = parent.getParent();
        }
        if (parent == null) {
            throw new BadInputException(flag + " " + dir + ": no existing parent directory");
        }
        if (!Files.isDirectory(parent)) {
            throw new BadInputException(flag + " " + dir + ": cannot create it (" + parent + " is " + kind(parent)
                    + ", not a directory)");
        }
        probe(flag, dir, parent);
    }

    /** Checks {@code dir} as {@link #check} does, then creates it. */
    public static void create(String flag, Path dir) {
        check(flag, dir);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new BadInputException(flag + " " + dir + ": cannot create it (" + IoErrors.reason(e) + ")");
        }
    }

    /** Creates and deletes a file in {@code existing}: the one test that root's permissions do not bypass. */
    private static void probe(String flag, Path dir, Path existing) {
        Path probe = existing.resolve(".qvgen-write-test-" + ProcessHandle.current().pid());
        try {
            Files.createFile(probe);
        } catch (IOException e) {
            throw new BadInputException(flag + " " + dir + ": cannot write there (" + IoErrors.reason(e) + ")");
        }
        try {
            Files.deleteIfExists(probe);
        } catch (IOException e) {
            throw new BadInputException(flag + " " + dir + ": cannot write there (" + IoErrors.reason(e) + ")");
        }
    }

    private static String kind(Path p) {
        if (Files.isRegularFile(p)) {
            return "a file";
        }
        if (Files.isSymbolicLink(p)) {
            return "a broken link";
        }
        return "a special file (device, pipe or socket)";
    }
}

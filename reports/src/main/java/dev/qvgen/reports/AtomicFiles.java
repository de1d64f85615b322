package dev.qvgen.reports;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a file so that readers (a browser refreshing the report, a resumed run reading
 * results.csv) see the old content or the new one, never a half-written file: the content goes
 * to {@code name.tmp} in the same directory (same file system, so the rename can be atomic) and
 * is then moved over the target.
 */
public final class AtomicFiles {
    /** What writes the content; it may throw IOException, unlike {@link java.util.function.Consumer}. */
    @FunctionalInterface
    public interface Body {
        void writeTo(Writer out) throws IOException;
    }

    private AtomicFiles() {}

    public static void writeString(Path file, String content) throws IOException {
        write(file, out -> out.write(content));
    }

    /** Creates missing parent directories; leaves no {@code .tmp} file behind when the body fails. */
    public static void write(Path file, Body body) throws IOException {
        Path target = file.toAbsolutePath();
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                body.writeTo(out);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            // a failed write's message ("No space left on device") names no file
            throw new IOException(target + ": cannot write (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }
}

package dev.qvgen.layers.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * One line for a file-system error: the file and the operating system's reason. Java leaves the
 * reason out of its commonest exceptions (a NoSuchFileException's message is the bare path) and
 * the file out of a failed write ("No space left on device"), so both are put back here.
 */
public final class IoErrors {
    private IoErrors() {}

    /** The OS's reason alone, e.g. "No such file or directory", "Read-only file system". */
    public static String reason(IOException e) {
        if (e instanceof FileSystemException f) {
            if (f.getReason() != null) {
                return f.getReason();
            }
            if (e instanceof NoSuchFileException) {
                return "No such file or directory";
            }
            if (e instanceof AccessDeniedException) {
                return "Permission denied";
            }
            if (e instanceof FileAlreadyExistsException) {
                return "File exists";
            }
            if (e instanceof NotDirectoryException) {
                return "Not a directory";
            }
            if (e instanceof DirectoryNotEmptyException) {
                return "Directory not empty";
            }
            return e.getClass().getSimpleName();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** {@code <file>: <reason>}, the file being the one the error names, else {@code fallback}. */
    public static String describe(IOException e, Path fallback) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            return f.getFile() + ": " + reason(e);
        }
        return (fallback == null ? "" : fallback + ": ") + reason(e);
    }

    /** An exception whose message is {@code <file>: cannot <what> (<reason>)}. */
    public static IOException cannot(String what, Path file, IOException cause) {
        return new IOException(file + ": cannot " + what + " (" + reason(cause) + ")", cause);
    }

    /** The unchecked form of {@link #cannot}. */
    public static UncheckedIOException cannotUnchecked(String what, Path file, IOException cause) {
        return new UncheckedIOException(cannot(what, file, cause));
    }
}

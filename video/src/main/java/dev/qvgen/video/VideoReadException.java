package dev.qvgen.video;

import java.nio.file.Path;

/**
 * A video file could not be decoded (missing, empty, truncated, not a video...). The message
 * is one line naming the file and the problem, so it can go straight into a results table.
 */
public final class VideoReadException extends RuntimeException {
    private final transient Path file;
    private final String problem;

    public VideoReadException(Path file, String problem) {
        this(file, problem, null);
    }

    public VideoReadException(Path file, String problem, Throwable cause) {
        super("cannot read video " + file + ": " + oneLine(problem), cause);
        this.file = file;
        this.problem = oneLine(problem);
    }

    public Path file() {
        return file;
    }

    /** The problem alone, without the file name. */
    public String problem() {
        return problem;
    }

    static String oneLine(String text) {
        return text == null ? "unknown error" : text.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
    }
}

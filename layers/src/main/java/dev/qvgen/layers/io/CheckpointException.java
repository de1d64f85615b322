package dev.qvgen.layers.io;

/** A checkpoint, config or golden file that cannot be used; the message names the file and the problem. */
public class CheckpointException extends RuntimeException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}

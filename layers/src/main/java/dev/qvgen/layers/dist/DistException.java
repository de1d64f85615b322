package dev.qvgen.layers.dist;

/** A data-parallel setup problem (bad environment, missing binding), told in one line. */
public final class DistException extends RuntimeException {
    public DistException(String message) {
        super(message);
    }
}

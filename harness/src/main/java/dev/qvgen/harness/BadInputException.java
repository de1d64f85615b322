package dev.qvgen.harness;

/** Input the user can fix (a bad value, a missing file); reported as one line, exit code 2. */
public class BadInputException extends RuntimeException {
    public BadInputException(String message) {
        super(message);
    }
}

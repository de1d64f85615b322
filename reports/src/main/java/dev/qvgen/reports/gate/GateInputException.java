package dev.qvgen.reports.gate;

/** Input the gate cannot judge (a missing or malformed file, result sets that do not pair): exit code 2. */
public class GateInputException extends IllegalArgumentException {
    public GateInputException(String message) {
        super(message);
    }

    public GateInputException(String message, Throwable cause) {
        super(message, cause);
    }
}

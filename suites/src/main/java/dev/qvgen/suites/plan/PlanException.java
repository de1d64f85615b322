package dev.qvgen.suites.plan;

/**
 * A run plan that cannot be used: one line naming the file (and line), the key and the problem,
 * e.g. {@code my.yaml:7: key 'methods': unknown method 'gptq' (known: fp, rtn, ...)}.
 */
public class PlanException extends IllegalArgumentException {
    public PlanException(String message) {
        super(message);
    }

    public PlanException(String message, Throwable cause) {
        super(message, cause);
    }
}

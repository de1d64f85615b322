package dev.qvgen.models.parity;

import java.util.Locale;

/** One compared golden tensor: its relative L2 error, or why it was not compared. */
public record ParityResult(String name, double relL2, double tolerance, String skippedBecause) {
    public static ParityResult compared(String name, double relL2, double tolerance) {
        return new ParityResult(name, relL2, tolerance, null);
    }

    public static ParityResult skipped(String name, String reason) {
        return new ParityResult(name, Double.NaN, Double.NaN, reason);
    }

    public boolean isSkipped() {
        return skippedBecause != null;
    }

    /** NaN (a broken output) fails as well. */
    public boolean passed() {
        return !isSkipped() && relL2 < tolerance;
    }

    public String line() {
        if (isSkipped()) {
            return name + " rel_l2=- skipped (" + skippedBecause + ")";
        }
        return String.format(Locale.ROOT, "%s rel_l2=%.3e %s", name, relL2, passed() ? "ok" : "FAIL");
    }
}

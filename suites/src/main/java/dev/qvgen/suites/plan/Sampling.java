package dev.qvgen.suites.plan;

import java.util.Locale;

/**
 * One sampling setting of a plan.
 *
 * @param steps    denoising steps
 * @param guidance classifier-free guidance scale
 * @param shift    flow-matching timestep shift, or null for the model's own default
 */
public record Sampling(int steps, double guidance, Double shift) {
    public Sampling {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be positive, got " + steps);
        }
        if (!Double.isFinite(guidance) || guidance < 0) {
            throw new IllegalArgumentException("guidance must be a finite number >= 0, got " + guidance);
        }
        if (shift != null && (!Double.isFinite(shift) || shift <= 0)) {
            throw new IllegalArgumentException("shift must be a finite number > 0, got " + shift);
        }
    }

    /** A short name used in item ids and run sub-directories, e.g. {@code s20-g4} or {@code s50-g5-sh3}. */
    public String label() {
        String s = "s" + steps + "-g" + num(guidance);
        return shift == null ? s : s + "-sh" + num(shift);
    }

    private static String num(double v) {
        // 4.0 -> "4", 3.5 -> "3.5": labels stay short and never depend on the locale.
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%s", v);
    }
}

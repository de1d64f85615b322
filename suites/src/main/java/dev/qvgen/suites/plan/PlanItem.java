package dev.qvgen.suites.plan;

import java.util.Locale;
import java.util.Objects;

/**
 * One unit of work of a plan: one video of one model, sampling setting, method, bit width, prompt
 * and seed.
 *
 * @param ordinal   position in the plan's expansion order (what {@link Shard} splits on)
 * @param id        stable name built from the item's content, not its position, e.g.
 *                  {@code toy-wan/s20-g4/rtn-w4a4/p0007/s1}: adding a method to a plan does not
 *                  rename the items it already had
 * @param slice     the (model, sampling) part of the id, e.g. {@code toy-wan/s20-g4}; one results
 *                  table per slice, since result rows do not name the model or sampling setting
 * @param bits      bit-width label as results tables write it ({@code w4a4}, or the plan's
 *                  {@code fp_bits} for the full-precision method)
 * @param seedIndex which sample of the prompt, 0-based
 * @param seed      the sampling seed, {@link #seedOf(int, int)}
 */
public record PlanItem(int ordinal, String id, String slice, String model, Sampling sampling, String method,
        String bits, PlanPrompt prompt, int seedIndex, long seed) {
    /** The full-precision method: generated once per slice, whatever the plan's bit widths. */
    public static final String FP = "fp";

    /** Largest seed count per prompt: seeds of different prompts must never coincide. */
    public static final int MAX_SEEDS = 1000;

    public PlanItem {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(slice, "slice");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(sampling, "sampling");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(bits, "bits");
        Objects.requireNonNull(prompt, "prompt");
    }

    /**
     * The seed of the {@code seedIndex}-th sample of prompt {@code promptIndex}: the same rule as
     * the toy study ({@code 1000 * prompt index + sample}), so plan items and existing results agree.
     */
    public static long seedOf(int promptIndex, int seedIndex) {
        return (long) MAX_SEEDS * promptIndex + seedIndex;
    }

    /** Directory-name of the (method, bits) arm: {@code fp}, or {@code method-bits} like {@code rtn-w4a4}. */
    public String arm() {
        return method.equals(FP) ? FP : method + "-" + bits;
    }

    /** Whether this item is the full-precision reference. */
    public boolean isFullPrecision() {
        return method.equals(FP);
    }

    /** What identifies this item among the rows of one slice's results table. */
    public ResultKey resultKey() {
        return new ResultKey(method, bits, prompt.index(), seed);
    }

    static String id(String slice, String arm, int promptIndex, int seedIndex) {
        return slice + "/" + arm + "/p" + String.format(Locale.ROOT, "%04d", promptIndex) + "/s" + seedIndex;
    }

    /** (method, bits, prompt index, seed): the columns of a results row that name its plan item. */
    public record ResultKey(String method, String bits, int promptIndex, long seed) {
        @Override
        public String toString() {
            return method + " " + bits + " prompt " + promptIndex + " seed " + seed;
        }
    }
}

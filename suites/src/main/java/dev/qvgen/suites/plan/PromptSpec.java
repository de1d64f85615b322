package dev.qvgen.suites.plan;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The prompt suite of a plan.
 *
 * @param suite      which suite
 * @param path       the suite's file or directory; null for the toy suite, and for a VBench suite
 *                   read from {@link PlanContext#vbenchDir()}. A relative path is relative to the
 *                   plan file's directory (for a built-in plan: the working directory)
 * @param dimensions VBench dimensions to keep (a prompt is kept if it is scored on any); empty: all
 * @param limit      keep only the first {@code limit} prompts after the dimension filter; null: all
 */
public record PromptSpec(Suite suite, Path path, List<String> dimensions, Integer limit) {
    /** The known suites, by their name in plan files. */
    public enum Suite {
        /** The 32-prompt toy-world suite (ToyPromptSuite.standard()). */
        TOY("toy"),
        /** The 128-prompt toy-world suite (ToyPromptSuite.large()), for finer paired differences. */
        TOY_128("toy-128"),
        /** VBench's standard 946 prompts with their dimensions: {@code VBench_full_info.json}. */
        VBENCH_FULL("vbench-full"),
        /** VBench's per-dimension prompt lists: {@code prompts_per_dimension/*.txt}. */
        VBENCH_PER_DIMENSION("vbench-per-dimension"),
        /** A text file, one caption a line (blank lines and lines starting with '#' skipped). */
        FILE("file");

        private final String key;

        Suite(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }

        /** The toy suites are built in: they are generated, not read, and take no path. */
        public boolean builtIn() {
            return this == TOY || this == TOY_128;
        }

        public static Suite of(String key) {
            for (Suite s : values()) {
                if (s.key.equals(key)) {
                    return s;
                }
            }
            return null;
        }

        public static String known() {
            return String.join(", ", java.util.Arrays.stream(values()).map(Suite::key).toList());
        }
    }

    public PromptSpec {
        Objects.requireNonNull(suite, "suite");
        dimensions = List.copyOf(dimensions);
        if (limit != null && limit < 1) {
            throw new IllegalArgumentException("limit must be positive, got " + limit);
        }
    }

    /** Short description for logs, e.g. {@code vbench-full (../shared/suites/vbench), limit 8}. */
    public String describe() {
        StringBuilder sb = new StringBuilder(suite.key());
        if (path != null) {
            sb.append(" (").append(path).append(')');
        }
        if (!dimensions.isEmpty()) {
            sb.append(", dimensions ").append(String.join(",", dimensions));
        }
        if (limit != null) {
            sb.append(String.format(Locale.ROOT, ", first %d", limit));
        }
        return sb.toString();
    }
}

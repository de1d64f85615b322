package dev.qvgen.suites.plan;

import java.util.List;
import java.util.Objects;

/**
 * One prompt of a plan's suite.
 *
 * @param index      its position in the whole suite (before any dimension filter or limit), so
 *                   that item ids and seeds do not change when a plan selects fewer prompts
 * @param text       the caption
 * @param dimensions the VBench dimensions the prompt is scored on; empty for suites without them
 */
public record PlanPrompt(int index, String text, List<String> dimensions) {
    public PlanPrompt {
        Objects.requireNonNull(text, "text");
        if (index < 0) {
            throw new IllegalArgumentException("prompt index must be >= 0, got " + index);
        }
        dimensions = List.copyOf(dimensions);
    }
}

package dev.qvgen.suites.plan;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Shard {@code index} of {@code count} (0-based, as Kubernetes' JOB_COMPLETION_INDEX and a SLURM
 * array {@code --array=0-(n-1)} number them). Shards are contiguous, balanced blocks of the plan's
 * expansion order: shard i holds ordinals {@code [floor(i*N/n), floor((i+1)*N/n))}, so every item
 * is in exactly one shard for any n, block sizes differ by at most one, and neighbouring items
 * (same model and arm) stay together, so a shard quantizes each model as few times as possible.
 */
public record Shard(int index, int count) {
    /** The whole plan. */
    public static final Shard ALL = new Shard(0, 1);

    private static final Pattern SPEC = Pattern.compile("\\s*(\\d{1,9})\\s*/\\s*(\\d{1,9})\\s*");

    public Shard {
        if (count < 1 || index < 0 || index >= count) {
            throw new IllegalArgumentException("bad shard " + index + "/" + count
                    + " (expected i/n with n >= 1 and 0 <= i < n)");
        }
    }

    /** Parses {@code i/n}, e.g. {@code 3/8}. */
    public static Shard parse(String spec) {
        Matcher m = spec == null ? null : SPEC.matcher(spec);
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("bad shard '" + spec + "' (expected i/n, e.g. 0/4; i counts from 0)");
        }
        return new Shard(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    /** First ordinal of this shard among {@code total} items. */
    public int from(int total) {
        return (int) ((long) index * total / count);
    }

    /** One past the last ordinal of this shard among {@code total} items. */
    public int to(int total) {
        return (int) ((long) (index + 1) * total / count);
    }

    /** Whether the item at {@code ordinal} of {@code total} belongs to this shard. */
    public boolean contains(int ordinal, int total) {
        return ordinal >= from(total) && ordinal < to(total);
    }

    /** This shard's part of {@code items} (in expansion order). */
    public <T> List<T> select(List<T> items) {
        return List.copyOf(items.subList(from(items.size()), to(items.size())));
    }

    @Override
    public String toString() {
        return index + "/" + count;
    }
}

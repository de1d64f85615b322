package dev.qvgen.reports;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

/**
 * One (method, bits) group of a run: per metric, the mean and standard error over the group's
 * videos that have that metric; the number of videos and of videos with an error.
 *
 * @param stats metric name → statistics, in the order the metrics were asked for
 */
public record Summary(String method, String bits, int videos, int errors, Map<String, Stat> stats) {
    /** The method whose group the deltas are measured against unless a caller says otherwise. */
    public static final String DEFAULT_REFERENCE_METHOD = "fp";

    /**
     * Mean and standard error of the mean (sample standard deviation / √n) over n values. With
     * n = 0 both are NaN; with n = 1 the standard error is NaN, since one value says nothing
     * about the spread.
     */
    public record Stat(double mean, double stdErr, int n) {
        public static Stat of(double[] values) {
            int n = values.length;
            if (n == 0) {
                return new Stat(Double.NaN, Double.NaN, 0);
            }
            double mean = 0;
            for (double x : values) {
                mean += x;
            }
            mean /= n;
            double squares = 0;
            for (double x : values) {
                squares += (x - mean) * (x - mean);
            }
            double stdErr = n > 1 ? Math.sqrt(squares / (n - 1) / n) : Double.NaN;
            return new Stat(mean, stdErr, n);
        }
    }

    public Summary {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(bits, "bits");
        stats = Collections.unmodifiableMap(new LinkedHashMap<>(stats == null ? Map.of() : stats));
    }

    /** The group's name as reports show it, e.g. "rtn w3a3"; the same as {@link ResultRow#group()}. */
    public String group() {
        return method + " " + bits;
    }

    /** Every metric any row has, sorted by name. */
    public static List<Summary> of(List<ResultRow> rows) {
        TreeSet<String> metrics = new TreeSet<>();
        rows.forEach(r -> metrics.addAll(r.scores().keySet()));
        return of(rows, List.copyOf(metrics));
    }

    /** One entry per (method, bits), in order of first appearance in {@code rows}. */
    public static List<Summary> of(List<ResultRow> rows, List<String> metrics) {
        Map<List<String>, List<ResultRow>> groups = new LinkedHashMap<>();
        rows.forEach(r -> groups.computeIfAbsent(List.of(r.method(), r.bits()), k -> new ArrayList<>()).add(r));
        List<Summary> out = new ArrayList<>();
        for (List<ResultRow> g : groups.values()) {
            Map<String, Stat> stats = new LinkedHashMap<>();
            for (String m : metrics) {
                stats.put(m, Stat.of(g.stream().filter(r -> r.scores().containsKey(m))
                        .mapToDouble(r -> r.scores().get(m)).toArray()));
            }
            int errors = (int) g.stream().filter(r -> r.error() != null).count();
            out.add(new Summary(g.get(0).method(), g.get(0).bits(), g.size(), errors, stats));
        }
        return out;
    }

    /** The first group of {@code method}, e.g. the full-precision group for "fp"; empty when the run has none. */
    public static Optional<Summary> reference(List<Summary> groups, String method) {
        return groups.stream().filter(s -> s.method().equals(method)).findFirst();
    }

    /**
     * This group's mean minus the reference group's mean, for each of this group's metrics; NaN
     * where either group has no value for the metric.
     */
    public Map<String, Double> deltaVs(Summary reference) {
        Map<String, Double> d = new LinkedHashMap<>();
        stats.forEach((m, s) -> {
            Stat r = reference.stats().get(m);
            d.put(m, r == null ? Double.NaN : s.mean() - r.mean());
        });
        return Collections.unmodifiableMap(d);
    }
}

package dev.qvgen.reports;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Per (method, bits) group: mean and standard error of each metric, video and error counts. */
public record Summary(String method, String bits, int videos, int errors, Map<String, Stat> stats) {
    /** Mean and standard error of the mean over the n rows that have the metric. */
    public record Stat(double mean, double stdErr, int n) {}

    public String group() {
        return method + " " + bits;
    }

    /** Groups in order of first appearance. */
    public static List<Summary> of(List<ResultRow> rows, List<String> metrics) {
        Map<String, List<ResultRow>> groups = new LinkedHashMap<>();
        rows.forEach(r -> groups.computeIfAbsent(r.group(), k -> new ArrayList<>()).add(r));
        List<Summary> out = new ArrayList<>();
        for (List<ResultRow> g : groups.values()) {
            Map<String, Stat> stats = new LinkedHashMap<>();
            for (String m : metrics) {
                double[] v = g.stream().filter(r -> r.scores().containsKey(m))
                        .mapToDouble(r -> r.scores().get(m)).toArray();
                stats.put(m, stat(v));
            }
            int errors = (int) g.stream().filter(r -> r.error() != null).count();
            out.add(new Summary(g.get(0).method(), g.get(0).bits(), g.size(), errors, stats));
        }
        return out;
    }

    static Stat stat(double[] v) {
        int n = v.length;
        if (n == 0) {
            return new Stat(Double.NaN, Double.NaN, 0);
        }
        double mean = 0;
        for (double x : v) {
            mean += x;
        }
        mean /= n;
        double ss = 0;
        for (double x : v) {
            ss += (x - mean) * (x - mean);
        }
        double se = n > 1 ? Math.sqrt(ss / (n - 1) / n) : 0;
        return new Stat(mean, se, n);
    }

    /** This group's means minus the reference group's means, per metric. */
    public Map<String, Double> deltaVs(Summary reference) {
        Map<String, Double> d = new LinkedHashMap<>();
        stats.forEach((m, s) -> {
            Stat r = reference.stats.get(m);
            d.put(m, r == null ? Double.NaN : s.mean() - r.mean());
        });
        return d;
    }
}

package dev.qvgen.reports.gate;

import dev.qvgen.reports.ResultRow;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The CI regression gate: compares a candidate result set with a baseline, per (method, bits)
 * group and dimension.
 *
 * <p>Videos are paired by (group, prompt, seed): the same prompt and noise under both builds. For
 * each dimension the statistic is the mean over prompts of the candidate-minus-baseline change
 * (a prompt's seeds averaged first); its confidence interval is a percentile bootstrap over
 * prompts. A dimension regresses when the whole interval lies below minus its max allowed drop,
 * i.e. the data show, at the chosen confidence, a drop larger than the tolerance. Noise (an
 * interval that reaches above {@code -maxDrop}) passes.
 */
public final class Gate {
    /** What the gate decided for one group and dimension. */
    public enum Verdict { PASS, REGRESSION, SKIPPED }

    /**
     * One comparison.
     *
     * @param prompts       prompts with at least one pair
     * @param pairs         (prompt, seed) pairs scored in both sets
     * @param baselineMean  mean over those prompts of the baseline scores (NaN when no pairs)
     * @param candidateMean likewise for the candidate
     * @param change        candidate minus baseline (mean over prompts of the paired change)
     * @param low           lower end of its bootstrap interval
     * @param high          upper end
     */
    public record Check(String method, String bits, String dimension, int prompts, int pairs, double baselineMean,
            double candidateMean, double change, double low, double high, double maxDrop, double confidence,
            Verdict verdict) {
        public String group() {
            return method + " " + bits;
        }

        /** One line for logs and JUnit messages. */
        public String message() {
            if (verdict == Verdict.SKIPPED) {
                return String.format(Locale.ROOT, "%s (%s): no (prompt, seed) pair scored in both sets, not compared",
                        dimension, group());
            }
            return String.format(Locale.ROOT,
                    "%s (%s): candidate %.4f vs baseline %.4f, change %+.4f, %.0f%% CI [%+.4f, %+.4f] over %d prompts"
                            + " (%d pairs); max allowed drop %.4f: %s",
                    dimension, group(), candidateMean, baselineMean, change, confidence * 100, low, high, prompts,
                    pairs, maxDrop, verdict == Verdict.PASS ? "pass" : "REGRESSION");
        }
    }

    /** All comparisons and remarks (unpaired rows, groups only the candidate has). */
    public record Report(List<Check> checks, List<String> notes, Tolerances tolerances) {
        public Report {
            checks = List.copyOf(checks);
            notes = List.copyOf(notes);
        }

        public boolean regressed() {
            return checks.stream().anyMatch(c -> c.verdict() == Verdict.REGRESSION);
        }

        public long count(Verdict v) {
            return checks.stream().filter(c -> c.verdict() == v).count();
        }
    }

    private record Key(String method, String bits, int promptIndex, String prompt, long seed) {}

    private Gate() {}

    /**
     * Compares {@code candidate} with {@code baseline}.
     *
     * @throws GateInputException when the sets cannot be compared: a repeated (group, prompt, seed)
     *         row, a baseline group or dimension the candidate lacks, no pair in common, or a
     *         tolerance for a dimension neither set has
     */
    public static Report compare(List<ResultRow> baseline, List<ResultRow> candidate, Tolerances tol) {
        Objects.requireNonNull(tol, "tolerances");
        Map<Key, ResultRow> base = index(baseline, "baseline");
        Map<Key, ResultRow> cand = index(candidate, "candidate");
        if (base.isEmpty()) {
            throw new GateInputException("baseline: no result rows");
        }
        Set<String> allMetrics = new TreeSet<>();
        baseline.forEach(r -> allMetrics.addAll(r.scores().keySet()));
        candidate.forEach(r -> allMetrics.addAll(r.scores().keySet()));
        for (String d : tol.dimensions().keySet()) {
            if (!allMetrics.contains(d)) {
                throw new GateInputException("tolerances name dimension '" + d + "' that neither result set has"
                        + " (they have: " + String.join(", ", allMetrics) + ")");
            }
        }
        List<String> notes = new ArrayList<>();
        Set<List<String>> baseGroups = groups(baseline);
        Set<List<String>> candGroups = groups(candidate);
        for (List<String> g : baseGroups) {
            if (!candGroups.contains(g)) {
                throw new GateInputException("candidate has no rows for group '" + g.get(0) + " " + g.get(1)
                        + "' that the baseline has");
            }
        }
        candGroups.stream().filter(g -> !baseGroups.contains(g))
                .forEach(g -> notes.add("group '" + g.get(0) + " " + g.get(1) + "' is only in the candidate: not compared"));
        long paired = base.keySet().stream().filter(cand::containsKey).count();
        if (paired == 0) {
            throw new GateInputException("baseline and candidate share no (method, bits, prompt, seed): they are not"
                    + " runs of the same plan");
        }
        long onlyBase = base.size() - paired;
        long onlyCand = cand.keySet().stream().filter(k -> baseGroups.contains(List.of(k.method(), k.bits())))
                .filter(k -> !base.containsKey(k)).count();
        if (onlyBase > 0 || onlyCand > 0) {
            notes.add(String.format(Locale.ROOT, "unpaired videos left out: %d only in the baseline, %d only in the"
                    + " candidate", onlyBase, onlyCand));
        }

        List<Check> checks = new ArrayList<>();
        for (List<String> g : baseGroups) {
            Set<String> baseDims = metrics(baseline, g);
            Set<String> candDims = metrics(candidate, g);
            for (String d : baseDims) {
                if (!candDims.contains(d)) {
                    // A set with no such column at all is most likely older than the dimension.
                    boolean nowhere = candidate.stream().noneMatch(r -> r.scores().containsKey(d));
                    throw new GateInputException("candidate has no '" + d + "' scores for group '" + g.get(0) + " "
                            + g.get(1) + "' that the baseline has" + (nowhere ? " (no candidate row has '" + d
                            + "' at all: written before it was recorded? rerun its study with this version; `qvgen "
                            + "reproduce` on the same --out keeps the finished videos)" : ""));
                }
            }
            candDims.stream().filter(d -> !baseDims.contains(d)).forEach(d -> notes.add("dimension '" + d
                    + "' of group '" + g.get(0) + " " + g.get(1) + "' is only in the candidate: not compared"));
            for (String d : baseDims) {
                checks.add(check(g, d, base, cand, tol));
            }
        }
        return new Report(checks, notes, tol);
    }

    private static Check check(List<String> g, String dim, Map<Key, ResultRow> base, Map<Key, ResultRow> cand,
            Tolerances tol) {
        // prompt -> (baseline scores, candidate scores) of its paired seeds, in baseline row order.
        Map<List<Object>, double[][]> byPrompt = new LinkedHashMap<>();
        Map<List<Object>, Integer> counts = new LinkedHashMap<>();
        int pairs = 0;
        for (Map.Entry<Key, ResultRow> e : base.entrySet()) {
            Key k = e.getKey();
            if (!k.method().equals(g.get(0)) || !k.bits().equals(g.get(1))) {
                continue;
            }
            ResultRow c = cand.get(k);
            Double bv = e.getValue().scores().get(dim);
            Double cv = c == null ? null : c.scores().get(dim);
            if (bv == null || cv == null) {
                continue;
            }
            List<Object> p = List.of(k.promptIndex(), k.prompt());
            double[][] acc = byPrompt.computeIfAbsent(p, x -> new double[2][1]);
            acc[0][0] += bv;
            acc[1][0] += cv;
            counts.merge(p, 1, Integer::sum);
            pairs++;
        }
        double maxDrop = tol.maxDrop(dim);
        if (pairs == 0) {
            return new Check(g.get(0), g.get(1), dim, 0, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN, maxDrop, tol.confidence(), Verdict.SKIPPED);
        }
        int n = byPrompt.size();
        double[] change = new double[n];
        double baseMean = 0;
        double candMean = 0;
        int i = 0;
        for (Map.Entry<List<Object>, double[][]> e : byPrompt.entrySet()) {
            int c = counts.get(e.getKey());
            double b = e.getValue()[0][0] / c;
            double v = e.getValue()[1][0] / c;
            baseMean += b;
            candMean += v;
            change[i++] = v - b;
        }
        baseMean /= n;
        candMean /= n;
        Bootstrap.Interval ci = Bootstrap.meanInterval(change, tol.resamples(), tol.confidence(),
                tol.seed() ^ (g.get(0) + " " + g.get(1) + " " + dim).hashCode());
        Verdict v = ci.high() < -maxDrop ? Verdict.REGRESSION : Verdict.PASS;
        return new Check(g.get(0), g.get(1), dim, n, pairs, baseMean, candMean, ci.mean(), ci.low(), ci.high(),
                maxDrop, tol.confidence(), v);
    }

    private static Map<Key, ResultRow> index(List<ResultRow> rows, String which) {
        Map<Key, ResultRow> out = new LinkedHashMap<>();
        for (ResultRow r : rows) {
            Key k = new Key(r.method(), r.bits(), r.promptIndex(), r.prompt(), r.seed());
            if (out.put(k, r) != null) {
                throw new GateInputException(which + ": two rows for " + r.group() + ", prompt " + r.promptIndex()
                        + ", seed " + r.seed());
            }
        }
        return out;
    }

    private static Set<List<String>> groups(List<ResultRow> rows) {
        Set<List<String>> out = new LinkedHashSet<>();
        rows.forEach(r -> out.add(List.of(r.method(), r.bits())));
        return out;
    }

    private static Set<String> metrics(List<ResultRow> rows, List<String> g) {
        Set<String> out = new TreeSet<>();
        rows.stream().filter(r -> r.method().equals(g.get(0)) && r.bits().equals(g.get(1)))
                .forEach(r -> out.addAll(r.scores().keySet()));
        return out;
    }
}

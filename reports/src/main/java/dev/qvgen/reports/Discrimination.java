package dev.qvgen.reports;

import dev.qvgen.reports.gate.Bootstrap;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Whether a dimension tells a good model from a broken one on the study's own videos: the
 * full-precision group against a reference degradation (RTN W3A3 in the toy study), paired by
 * prompt and seed. A dimension separates them when the 95% bootstrap interval of the mean paired
 * difference (over prompts, seeds averaged first, as the gate resamples) excludes zero; one that
 * does not (a saturated dynamic_degree, say) is marked so a constant column is not read as
 * evidence.
 */
public final class Discrimination {
    public static final String DOES_NOT = "does not discriminate on this world";
    static final int RESAMPLES = 2000;
    static final double CONFIDENCE = 0.95;

    /** One dimension's verdict; {@code prompts} = 0 when the two groups share no scored video. */
    public record Result(String dimension, boolean separates, double good, double bad, double low, double high,
            int prompts) {
        /** e.g. "dynamic_degree does not discriminate on this world (fp 1.000 vs rtn w3a3 1.000, ...)". */
        public String note(String goodGroup, String badGroup) {
            if (prompts == 0) {
                return String.format(Locale.ROOT, "%s: %s (no video scored in both %s and %s).", dimension, DOES_NOT,
                        goodGroup, badGroup);
            }
            return String.format(Locale.ROOT, "%s: %s (%s %.3f vs %s %.3f; 95%% interval of the paired difference "
                    + "over %d prompts %+.3f to %+.3f).", dimension,
                    separates ? "separates " + goodGroup + " from " + badGroup : DOES_NOT, goodGroup, good, badGroup,
                    bad, prompts, low, high);
        }
    }

    private Discrimination() {}

    /**
     * The verdict for each of {@code dimensions}, or an empty map when either group is absent
     * from {@code rows} (nothing to judge).
     */
    public static Map<String, Result> of(List<ResultRow> rows, List<String> dimensions, String goodGroup,
            String badGroup) {
        Map<String, Result> out = new LinkedHashMap<>();
        if (rows.stream().noneMatch(r -> r.group().equals(goodGroup))
                || rows.stream().noneMatch(r -> r.group().equals(badGroup))) {
            return out;
        }
        for (String d : dimensions) {
            out.put(d, judge(rows, d, goodGroup, badGroup));
        }
        return out;
    }

    static Result judge(List<ResultRow> rows, String dimension, String goodGroup, String badGroup) {
        Map<String, Double> bad = new LinkedHashMap<>();
        rows.stream().filter(r -> r.group().equals(badGroup) && r.scores().containsKey(dimension))
                .forEach(r -> bad.put(r.promptIndex() + "/" + r.seed(), r.scores().get(dimension)));
        // per prompt: the good, bad and difference sums over its paired seeds
        Map<Integer, double[]> perPrompt = new TreeMap<>();
        for (ResultRow r : rows) {
            Double b = bad.get(r.promptIndex() + "/" + r.seed());
            if (r.group().equals(goodGroup) && b != null && r.scores().containsKey(dimension)) {
                double[] acc = perPrompt.computeIfAbsent(r.promptIndex(), k -> new double[3]);
                acc[0] += r.scores().get(dimension);
                acc[1] += b;
                acc[2]++;
            }
        }
        if (perPrompt.isEmpty()) {
            return new Result(dimension, false, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);
        }
        List<Double> diffs = new ArrayList<>();
        double good = 0;
        double worse = 0;
        for (double[] acc : perPrompt.values()) {
            good += acc[0] / acc[2];
            worse += acc[1] / acc[2];
            diffs.add((acc[0] - acc[1]) / acc[2]);
        }
        int n = perPrompt.size();
        Bootstrap.Interval ci = Bootstrap.meanInterval(diffs.stream().mapToDouble(Double::doubleValue).toArray(),
                RESAMPLES, CONFIDENCE, 0);
        boolean separates = ci.low() > 0 || ci.high() < 0;
        return new Result(dimension, separates, good / n, worse / n, ci.low(), ci.high(), n);
    }
}

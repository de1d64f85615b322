package dev.qvgen.harness.study;

import dev.qvgen.quantizer.Methods;
import dev.qvgen.reports.AtomicFiles;
import dev.qvgen.reports.ReportInput;
import dev.qvgen.reports.ResultRow;
import dev.qvgen.reports.gate.Bootstrap;
import dev.qvgen.reports.paper.TrainingLog;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The ablations of QVGen's mechanism in a run ({@code --plan toy-ablations}): per bit width, each
 * arm's mean ground-truth components and the paired difference of its ground truth from full
 * QVGen with a 95% bootstrap interval, and the arms' gradient-norm curves. Written to
 * {@code ablations.md}; the run's report gets one finding per arm and the curves as plots.
 * Differences are paired by (prompt, seed), averaged over a prompt's seeds, and the bootstrap
 * resamples prompts, as the gate does (a prompt's seeds share the caption).
 */
final class AblationReport {
    static final String FILE = "ablations.md";
    static final String REFERENCE = "qvgen";
    /** Arms compared with QVGen: QVGen without Φ ({@code lsq}) and every registered QVGen variant. */
    static final List<String> ARMS = Methods.names().stream()
            .filter(m -> m.equals("lsq") || m.equals(REFERENCE) || m.startsWith(REFERENCE + "-")).toList();

    private AblationReport() {}

    /** Whether the run holds QVGen and at least one of its variants at some bit width. */
    static boolean applies(List<ResultRow> rows) {
        return !bitWidths(rows).isEmpty();
    }

    /** Bit widths at which the rows hold qvgen and a qvgen variant, in the rows' order. */
    static List<String> bitWidths(List<ResultRow> rows) {
        List<String> out = new ArrayList<>();
        for (ResultRow r : rows) {
            if (r.method().equals(REFERENCE) && !out.contains(r.bits()) && rows.stream().anyMatch(o -> o.bits()
                    .equals(r.bits()) && o.method().startsWith(REFERENCE + "-"))) {
                out.add(r.bits());
            }
        }
        return out;
    }

    /** One row of the table. */
    record Line(String method, String bits, int videos, Map<String, Double> means, double groundTruth,
            Bootstrap.Interval vsQvgen, int prompts) {}

    static List<Line> lines(List<ResultRow> rows, List<String> components) {
        List<Line> out = new ArrayList<>();
        for (String bits : bitWidths(rows)) {
            for (String method : ARMS) {
                List<ResultRow> arm = rows.stream().filter(r -> r.method().equals(method) && r.bits().equals(bits)
                        && r.error() == null).toList();
                if (arm.isEmpty()) {
                    continue;
                }
                Map<String, Double> means = new LinkedHashMap<>();
                components.forEach(c -> means.put(c, arm.stream().mapToDouble(r -> r.scores().get(c)).average()
                        .orElse(Double.NaN)));
                double gt = means.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
                double[] perPrompt = perPromptDifferences(rows, method, bits, components);
                Bootstrap.Interval ci = method.equals(REFERENCE) || perPrompt.length < 2 ? null
                        : Bootstrap.meanInterval(perPrompt, 2000, 0.95, 0);
                out.add(new Line(method, bits, arm.size(), means, gt, ci, perPrompt.length));
            }
        }
        return out;
    }

    /** Per prompt, the mean over its seeds of (method minus qvgen) on the mean of {@code components}. */
    static double[] perPromptDifferences(List<ResultRow> rows, String method, String bits, List<String> components) {
        double[] videoDiffs = StudyReport.pairedDifferences(rows, method, REFERENCE, bits, components);
        List<ResultRow> arm = rows.stream().filter(r -> r.method().equals(method) && r.bits().equals(bits)
                && r.error() == null && rows.stream().anyMatch(q -> q.method().equals(REFERENCE) && q.bits().equals(bits)
                        && q.error() == null && q.promptIndex() == r.promptIndex() && q.seed() == r.seed())).toList();
        // pairedDifferences keeps the rows' order, so arm.get(i) is the video of videoDiffs[i]
        Map<Integer, double[]> byPrompt = new TreeMap<>();
        for (int i = 0; i < videoDiffs.length; i++) {
            double[] acc = byPrompt.computeIfAbsent(arm.get(i).promptIndex(), k -> new double[2]);
            acc[0] += videoDiffs[i];
            acc[1]++;
        }
        return byPrompt.values().stream().mapToDouble(a -> a[0] / a[1]).toArray();
    }

    /** The gradient-norm curves (running mean of 20 steps) of the ablation arms, one chart per bit width. */
    static List<ReportInput.Chart> charts(List<ResultRow> rows, List<TrainingLog> logs) {
        List<ReportInput.Chart> charts = new ArrayList<>();
        for (String bits : bitWidths(rows)) {
            List<TrainingLog> arms = new ArrayList<>();
            for (String method : ARMS) {
                logs.stream().filter(l -> l.label().equals(method + "-" + bits)).findFirst().ifPresent(arms::add);
            }
            if (!arms.isEmpty()) {
                ReportInput.Chart c = TrainingLog.smoothedGradNormChart(chartFile(bits), arms, 20);
                charts.add(new ReportInput.Chart(c.file(), "Ablations " + bits.toUpperCase(Locale.ROOT) + ": " + c.title(),
                        c.xLabel(), c.yLabel(), c.series(), c.logY()));
            }
        }
        return charts;
    }

    static String chartFile(String bits) {
        return "ablation_grad_norm_" + bits + ".svg";
    }

    /** One finding per compared arm (sentences, for report.md and report.html). */
    static List<String> notes(List<Line> lines) {
        List<String> notes = new ArrayList<>();
        for (Line l : lines) {
            if (l.vsQvgen() != null) {
                Bootstrap.Interval ci = l.vsQvgen();
                notes.add(String.format(Locale.ROOT, "Ablation %s: %s minus qvgen on the toy ground truth %+.3f "
                        + "(95%% bootstrap interval over %d prompts %+.3f to %+.3f): %s.", l.bits().toUpperCase(Locale.ROOT),
                        l.method(), ci.mean(), l.prompts(), ci.low(), ci.high(), ci.high() < 0 ? "worse than QVGen"
                                : ci.low() > 0 ? "better than QVGen" : "not separated from QVGen"));
            }
        }
        if (!notes.isEmpty()) {
            notes.add("The ablation table with each arm's components and the gradient-norm curves: " + FILE + ".");
        }
        return notes;
    }

    /** {@code ablations.md}: one table per bit width and the gradient-norm curves. */
    static String markdown(List<Line> lines, List<String> components, List<ReportInput.Chart> charts) {
        StringBuilder sb = new StringBuilder("# Ablations of QVGen's mechanism\n\n");
        sb.append("Each arm against full QVGen (`qvgen`: Φ with SVD rank decay, rank halved per period). `lsq` is "
                + "QVGen without Φ. Δ is the arm's ground truth minus QVGen's, paired by prompt and seed, a prompt's "
                + "seeds averaged; the interval is a 95% percentile bootstrap over prompts (2000 resamples).\n");
        String bits = null;
        for (Line l : lines) {
            if (!l.bits().equals(bits)) {
                bits = l.bits();
                sb.append("\n## ").append(bits.toUpperCase(Locale.ROOT)).append("\n\n| arm | videos |");
                components.forEach(c -> sb.append(' ').append(c).append(" |"));
                sb.append(" ground truth | Δ vs qvgen | 95% interval |\n|---|---:|");
                components.forEach(c -> sb.append("---:|"));
                sb.append("---:|---:|---|\n");
            }
            sb.append("| ").append(l.method()).append(" (").append(Methods.get(l.method()).label()).append(") | ")
                    .append(l.videos()).append(" |");
            l.means().values().forEach(v -> sb.append(String.format(Locale.ROOT, " %.3f |", v)));
            sb.append(String.format(Locale.ROOT, " %.3f |", l.groundTruth()));
            if (l.vsQvgen() == null) {
                sb.append(" – | – |\n");
            } else {
                sb.append(String.format(Locale.ROOT, " %+.3f | %+.3f to %+.3f |\n", l.vsQvgen().mean(),
                        l.vsQvgen().low(), l.vsQvgen().high()));
            }
        }
        if (!charts.isEmpty()) {
            sb.append("\n## Gradient norms\n\n");
            charts.forEach(c -> sb.append("![").append(c.title()).append("](plots/").append(c.file()).append(")\n\n"));
        }
        return sb.toString();
    }

    static void write(Path runDir, List<Line> lines, List<String> components, List<ReportInput.Chart> charts)
            throws IOException {
        AtomicFiles.writeString(runDir.resolve(FILE), markdown(lines, components, charts));
    }
}

package dev.qvgen.harness.study;

import dev.qvgen.reports.Discrimination;
import dev.qvgen.reports.ReportInput;
import dev.qvgen.reports.ReportWriter;
import dev.qvgen.reports.ResultRow;
import dev.qvgen.reports.Series;
import dev.qvgen.reports.Summary;
import dev.qvgen.reports.PaperReport;
import dev.qvgen.reports.gate.Bootstrap;
import dev.qvgen.reports.paper.PublishedNumbers;
import dev.qvgen.reports.paper.TrainingLog;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A study run's report, for any model: the tables and plots, plus findings computed from the numbers. */
public final class StudyReport {
    /** The ground-truth scores that decide whether quantization broke the model. */
    static final List<String> GROUND_TRUTH = List.of("toy_color", "toy_shape", "toy_motion", "toy_persistence");

    private static final Map<String, String> DESCRIPTIONS = Map.of(
            "toy_color", "fraction of frames where each captioned object's colour is found (OpenCV segmentation)",
            "toy_shape", "fraction of frames where that object has the captioned shape",
            "toy_motion", "1 if the object's centroid track moves in the captioned direction at the captioned speed",
            "toy_persistence", "fraction of frames where the object is present with a stable area",
            "temporal_flickering", "VBench: (255 - mean |frame_i - frame_i+1|) / 255",
            "dynamic_degree", "VBench: 1 if enough frame pairs exceed the optical-flow threshold (OpenCV Farneback started from the phase-correlation translation)",
            OutputFidelity.NAME, OutputFidelity.DESCRIPTION);

    private StudyReport() {}

    /**
     * @param model the registry name of the studied model
     * @param modelDir its checkpoint (a {@code training_log.csv} there is plotted), or null
     */
    public static void write(Path runDir, List<ResultRow> rows, List<String> metrics, String model, Path modelDir)
            throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        metrics.forEach(k -> m.put(k, DESCRIPTIONS.getOrDefault(k, k)));
        List<String> discrimination = markDiscrimination(rows, metrics, m);
        List<ReportInput.Chart> charts = new ArrayList<>();
        Path log = modelDir == null ? null : modelDir.resolve("training_log.csv");
        if (log != null && Files.exists(log)) {
            charts.add(new ReportInput.Chart("toy_training.svg", "Model training (full precision)", "step",
                    List.of(curve(log, 1, "loss")), true));
        }
        List<TrainingLog> logs = qatLogs(runDir);
        // the toy's verdicts rest on its ground truth; a zoo run's on the mean of what it scored
        List<String> headline = metrics.containsAll(GROUND_TRUTH) ? GROUND_TRUTH : metrics;
        List<String> notes = new ArrayList<>(headline.isEmpty() ? List.of()
                : findings(Summary.of(rows, metrics), rows, headline));
        notes.addAll(discrimination);
        if (!logs.isEmpty()) {
            charts.add(TrainingLog.smoothedGradNormChart("qat_grad_norm.svg", logs, 20));
            List<TrainingLog> weightLogs = weightGradientLogs(logs);
            if (!weightLogs.isEmpty()) {
                ReportInput.Chart c = TrainingLog.smoothedGradNormChart("qat_grad_norm_weights.svg", weightLogs, 20);
                charts.add(new ReportInput.Chart(c.file(), "QAT gradient norm of the model weights only (running mean "
                        + "of 20 steps)", c.xLabel(), c.yLabel(), c.series(), c.logY()));
            }
            charts.add(TrainingLog.gradNormChart("qat_grad_norm_raw.svg", logs));
            logs.stream().filter(l -> !l.ranks().isEmpty() && l.ranks().values().iterator().next().length > 0
                    && l.ranks().values().iterator().next()[0] > 0).forEach(l -> charts.add(l.rankChart(
                            "qat_rank_" + l.label() + ".svg")));
            notes.addAll(gradientFindings(logs, "gradient norm (all trained parameters)"));
            if (!weightLogs.isEmpty()) {
                notes.addAll(gradientFindings(weightLogs, "gradient norm of the model weights alone (without Φ and "
                        + "quantizer parameters)"));
            }
        }
        List<AblationReport.Line> ablations = AblationReport.applies(rows) && metrics.containsAll(GROUND_TRUTH)
                ? AblationReport.lines(rows, GROUND_TRUTH) : List.of();
        List<ReportInput.Chart> ablationCharts = ablations.isEmpty() ? List.of() : AblationReport.charts(rows, logs);
        charts.addAll(ablationCharts);
        notes.addAll(AblationReport.notes(ablations));
        notes.addAll(Deployment.notes(runDir));
        notes.addAll(deviceNotes(runDir));
        String runId = runDir.toAbsolutePath().normalize().getFileName().toString();
        ReportInput in = new ReportInput("QVGen Harness: quantization study of " + model, runId, notes, rows, m,
                charts);
        ReportWriter.writeAll(runDir, in);
        if (!ablations.isEmpty()) {
            AblationReport.write(runDir, ablations, GROUND_TRUTH, ablationCharts);
        }
        // The paper's layout (method x bits rows, metric columns, deltas vs FP) beside it.
        PaperReport.write(runDir, new PaperReport.Input("QVGen Harness: " + model + " study, paper layout", runId,
                model, rows, PublishedNumbers.load(), logs, notes));
    }

    /**
     * Whether each dimension separates full precision from RTN W3A3 on this run's videos
     * ({@link Discrimination}): one note per dimension, and the description of one that does not is
     * marked, so a saturated column is not read as evidence. Nothing when either arm is missing.
     */
    static List<String> markDiscrimination(List<ResultRow> rows, List<String> metrics, Map<String, String> descriptions) {
        String fp = rows.stream().map(ResultRow::group).filter(g -> g.startsWith("fp ")).findFirst().orElse(null);
        if (fp == null) {
            return List.of();
        }
        List<String> notes = new ArrayList<>();
        Discrimination.of(rows, metrics, fp, "rtn w3a3").forEach((k, r) -> {
            notes.add(r.note(fp, "rtn w3a3"));
            if (!r.separates()) {
                descriptions.put(k, descriptions.get(k) + " (" + Discrimination.DOES_NOT + ": FP and RTN W3A3 are "
                        + "not separated)");
            }
        });
        return notes;
    }

    /**
     * Where each arm's videos were generated (videos/ARM/devices.txt, written by Study): one
     * line for the run, and a warning for an arm whose videos come from more than one device,
     * since the same seed gives bit-identical videos on one device only.
     */
    static List<String> deviceNotes(Path runDir) throws IOException {
        Path videos = runDir.resolve("videos");
        java.util.Map<String, List<String>> byArm = new java.util.TreeMap<>();
        if (Files.isDirectory(videos)) {
            try (var dirs = Files.list(videos)) {
                for (Path d : dirs.toList()) {
                    Path f = d.resolve("devices.txt");
                    if (Files.exists(f)) {
                        byArm.put(d.getFileName().toString(), Files.readAllLines(f));
                    }
                }
            }
        }
        List<String> notes = new ArrayList<>();
        java.util.Set<String> all = new java.util.TreeSet<>();
        byArm.values().forEach(all::addAll);
        if (!all.isEmpty()) {
            notes.add("Videos generated on: " + String.join(", ", all) + ".");
        }
        byArm.forEach((arm, devices) -> {
            if (devices.size() > 1) {
                notes.add("Arm " + arm + " mixes videos from " + String.join(" and ", devices)
                        + ": they are not bit-identical to a single-device run.");
            }
        });
        return notes;
    }

    /** The QAT training logs of the run, labelled by arm (e.g. qvgen-w3a3), in name order. */
    static List<TrainingLog> qatLogs(Path runDir) throws IOException {
        Path qat = runDir.resolve("qat");
        List<TrainingLog> logs = new ArrayList<>();
        if (!Files.isDirectory(qat)) {
            return logs;
        }
        try (var dirs = Files.list(qat)) {
            for (Path d : dirs.sorted().toList()) {
                Path log = d.resolve("log.csv");
                if (Files.exists(log)) {
                    logs.add(TrainingLog.read(log, d.getFileName().toString()));
                }
            }
        }
        return logs;
    }

    /**
     * The logs again with the gradient norm of the "weights" parameter group (the log's
     * {@code grad_norm:weights} column) in place of the total; logs without that column are left out.
     */
    static List<TrainingLog> weightGradientLogs(List<TrainingLog> logs) {
        return logs.stream().map(l -> l.ofGroup("weights")).filter(java.util.Objects::nonNull).toList();
    }

    /**
     * QVGen's claim: its gradient norm stays below LSQ's. Checked per bit width, with the numbers;
     * {@code what} names the norm compared.
     */
    static List<String> gradientFindings(List<TrainingLog> logs, String what) {
        List<String> notes = new ArrayList<>();
        StringBuilder means = new StringBuilder("Mean QAT " + what + " over training:");
        logs.forEach(l -> means.append(String.format(Locale.ROOT, " %s %.4g;", l.label(), l.meanGradNorm())));
        notes.add(means.substring(0, means.length() - 1) + ".");
        for (TrainingLog q : logs) {
            if (!q.label().startsWith("qvgen-")) {
                continue;
            }
            String bits = q.label().substring("qvgen-".length());
            logs.stream().filter(l -> l.label().equals("lsq-" + bits)).findFirst().ifPresent(lsq -> {
                int n = Math.min(q.gradNorm().length, lsq.gradNorm().length);
                double[] a = TrainingLog.runningMean(q.gradNorm(), 20);
                double[] b = TrainingLog.runningMean(lsq.gradNorm(), 20);
                int below = 0;
                for (int i = 0; i < n; i++) {
                    below += a[i] < b[i] ? 1 : 0;
                }
                notes.add(String.format(Locale.ROOT, "%s: QVGen's %s (20-step running mean) is below "
                        + "LSQ's at %d of %d steps (%.0f%%); means %.4g vs %.4g. %s", bits.toUpperCase(Locale.ROOT), what,
                        below, n, 100.0 * below / Math.max(1, n), q.meanGradNorm(), lsq.meanGradNorm(),
                        below == n ? "The paper's claim holds here." : "The paper's claim (below throughout) does NOT "
                                + "hold on this run."));
            });
        }
        return notes;
    }

    /** The mean of the four ground-truth scores per group, and the FP vs RTN W3A3 verdict. */
    static List<String> findings(List<Summary> summary, List<ResultRow> rows) {
        return findings(summary, rows, GROUND_TRUTH);
    }

    /** The verdicts on the mean of the {@code headline} scores. */
    static List<String> findings(List<Summary> summary, List<ResultRow> rows, List<String> headline) {
        String what = headline.equals(GROUND_TRUTH) ? "the toy ground truth" : "the mean of " + String.join(", ", headline);
        List<String> notes = new ArrayList<>();
        StringBuilder means = new StringBuilder(headline.equals(GROUND_TRUTH)
                ? "Mean ground-truth score (colour, shape, motion, persistence):"
                : "Mean score (" + String.join(", ", headline) + "):");
        Map<String, Double> gt = new LinkedHashMap<>();
        for (Summary s : summary) {
            double v = headline.stream().mapToDouble(k -> s.stats().get(k).mean()).average().orElse(Double.NaN);
            gt.put(s.group(), v);
            means.append(String.format(Locale.ROOT, " %s %.3f;", s.group(), v));
        }
        notes.add(means.substring(0, means.length() - 1) + ".");
        Double fp = gt.entrySet().stream().filter(e -> e.getKey().startsWith("fp ")).map(Map.Entry::getValue)
                .findFirst().orElse(null);
        Double w3 = gt.get("rtn w3a3");
        if (fp != null && w3 != null) {
            double gap = fp - w3;
            notes.add(String.format(Locale.ROOT, gap >= 0.1
                    ? "Full precision scores clearly above RTN W3A3 on " + what + " (%.3f vs %.3f, +%.3f)."
                    : "Full precision does NOT score clearly above RTN W3A3 on " + what + " (%.3f vs %.3f, "
                            + "difference %+.3f; 'clearly' means at least 0.1).", fp, w3, gap));
        }
        for (String bits : List.of("w4a4", "w3a3")) {
            Double qv = gt.get("qvgen " + bits);
            if (qv == null) {
                continue;
            }
            // the ablation variants get their own table (AblationReport)
            for (String other : dev.qvgen.quantizer.Methods.paperNames().stream()
                    .filter(m -> !m.equals(dev.qvgen.quantizer.Methods.FP) && !m.equals("qvgen")).toList()) {
                Double o = gt.get(other + " " + bits);
                if (o == null) {
                    continue;
                }
                double[] diff = pairedDifferences(rows, "qvgen", other, bits, headline);
                if (diff.length < 2) {
                    continue;
                }
                Bootstrap.Interval ci = Bootstrap.meanInterval(diff, 2000, 0.95, 0);
                String verdict = ci.low() > 0 ? "beats" : qv > o ? "is above, but within noise of," : "does NOT beat";
                notes.add(String.format(Locale.ROOT, "%s: QVGen %s %s on " + what + " (%.3f vs %.3f, %+.3f; "
                        + "95%% bootstrap interval of the paired difference over %d videos: %+.3f to %+.3f).",
                        bits.toUpperCase(Locale.ROOT), verdict, other, qv, o, qv - o, diff.length, ci.low(),
                        ci.high()));
            }
        }
        return notes;
    }

    /** Per-video differences of the mean ground-truth score, method a minus b, paired by prompt and seed. */
    static double[] pairedDifferences(List<ResultRow> rows, String a, String b, String bits) {
        return pairedDifferences(rows, a, b, bits, GROUND_TRUTH);
    }

    static double[] pairedDifferences(List<ResultRow> rows, String a, String b, String bits, List<String> headline) {
        Map<String, Double> other = new LinkedHashMap<>();
        rows.stream().filter(r -> r.method().equals(b) && r.bits().equals(bits) && r.error() == null)
                .forEach(r -> other.put(r.promptIndex() + "/" + r.seed(), mean(r, headline)));
        return rows.stream().filter(r -> r.method().equals(a) && r.bits().equals(bits) && r.error() == null
                && other.containsKey(r.promptIndex() + "/" + r.seed()))
                .mapToDouble(r -> mean(r, headline) - other.get(r.promptIndex() + "/" + r.seed())).toArray();
    }

    private static double mean(ResultRow r, List<String> headline) {
        return headline.stream().mapToDouble(k -> r.scores().get(k)).average().orElse(Double.NaN);
    }

    private static Series curve(Path csv, int column, String name) throws IOException {
        List<double[]> pts = new ArrayList<>();
        List<String> lines = Files.readAllLines(csv);
        for (String line : lines.subList(1, lines.size())) {
            String[] c = line.split(",");
            pts.add(new double[] {Double.parseDouble(c[0]), Double.parseDouble(c[column])});
        }
        return new Series(name, pts);
    }
}

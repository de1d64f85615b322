package dev.qvgen.harness.toy;

import dev.qvgen.reports.ReportInput;
import dev.qvgen.reports.ReportWriter;
import dev.qvgen.reports.ResultRow;
import dev.qvgen.reports.Series;
import dev.qvgen.reports.Summary;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The toy study's report: the tables and plots, plus findings computed from the numbers. */
public final class ToyReport {
    /** The ground-truth scores that decide whether quantization broke the model. */
    static final List<String> GROUND_TRUTH = List.of("toy_color", "toy_shape", "toy_motion", "toy_persistence");

    private static final Map<String, String> DESCRIPTIONS = Map.of(
            "toy_color", "fraction of frames where each captioned object's colour is found (OpenCV segmentation)",
            "toy_shape", "fraction of frames where that object has the captioned shape",
            "toy_motion", "1 if the object's centroid track moves in the captioned direction at the captioned speed",
            "toy_persistence", "fraction of frames where the object is present with a stable area",
            "temporal_flickering", "VBench: (255 - mean |frame_i - frame_i+1|) / 255",
            "dynamic_degree", "VBench: 1 if enough frame pairs exceed the optical-flow threshold (OpenCV Farneback)");

    private ToyReport() {}

    public static void write(Path runDir, List<ResultRow> rows, List<String> metrics, Path modelDir) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        metrics.forEach(k -> m.put(k, DESCRIPTIONS.getOrDefault(k, k)));
        List<ReportInput.Chart> charts = new ArrayList<>();
        Path log = modelDir.resolve("training_log.csv");
        if (Files.exists(log)) {
            charts.add(new ReportInput.Chart("toy_training.svg", "Toy model training (full precision)", "step",
                    List.of(curve(log, 1, "loss")), true));
        }
        String runId = runDir.toAbsolutePath().normalize().getFileName().toString();
        ReportInput in = new ReportInput("QVGen Harness: toy-world quantization study", runId,
                findings(Summary.of(rows, metrics)), rows, m, charts);
        ReportWriter.writeAll(runDir, in);
    }

    /** The mean of the four ground-truth scores per group, and the FP vs RTN W3A3 verdict. */
    static List<String> findings(List<Summary> summary) {
        List<String> notes = new ArrayList<>();
        StringBuilder means = new StringBuilder("Mean ground-truth score (colour, shape, motion, persistence):");
        Map<String, Double> gt = new LinkedHashMap<>();
        for (Summary s : summary) {
            double v = GROUND_TRUTH.stream().mapToDouble(k -> s.stats().get(k).mean()).average().orElse(Double.NaN);
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
                    ? "Full precision scores clearly above RTN W3A3 on the toy ground truth (%.3f vs %.3f, +%.3f)."
                    : "Full precision does NOT score clearly above RTN W3A3 on the toy ground truth (%.3f vs %.3f, "
                            + "difference %+.3f; 'clearly' means at least 0.1).", fp, w3, gap));
        }
        return notes;
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

package dev.qvgen.reports.paper;

import dev.qvgen.reports.ReportInput;
import dev.qvgen.reports.Series;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.commons.csv.DuplicateHeaderMode;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A QAT training log as the QAT trainer writes it: {@code step,loss,grad_norm,lr_factor} then one
 * {@code rank:<layer>} column per quantized layer (the rank of its auxiliary module Φ, which the
 * rank-decay schedule drives to zero), and optionally one {@code grad_norm:<group>} column per
 * parameter group (that group's gradient norm).
 *
 * @param label the name the log's curves carry in a chart's legend, e.g. the method
 * @param ranks layer → rank per step, in column order
 * @param groupGradNorms parameter group → its gradient norm per step (empty for older logs)
 */
public record TrainingLog(String label, double[] steps, double[] loss, double[] gradNorm, double[] lrFactor,
        Map<String, double[]> ranks, Map<String, double[]> groupGradNorms) {
    public static final List<String> FIXED = List.of("step", "loss", "grad_norm", "lr_factor");
    public static final String RANK_PREFIX = "rank:";
    public static final String GROUP_NORM_PREFIX = "grad_norm:";
    /** More layers than this are drawn as their mean, min and max rather than one line each. */
    public static final int MAX_LAYER_LINES = 8;

    private static final CSVFormat READ = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true)
            .setDuplicateHeaderMode(DuplicateHeaderMode.DISALLOW).get();

    public TrainingLog {
        Objects.requireNonNull(label, "label");
        ranks = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(ranks));
        groupGradNorms = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(groupGradNorms));
    }

    /** This log with one parameter group's gradient norm as its gradient norm, or null without that group. */
    public TrainingLog ofGroup(String group) {
        double[] g = groupGradNorms.get(group);
        return g == null ? null : new TrainingLog(label, steps, loss, g, lrFactor, ranks, groupGradNorms);
    }

    /**
     * @throws IllegalArgumentException one line naming the file (and line) and the problem
     */
    public static TrainingLog read(Path csv, String label) {
        try (Reader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8); CSVParser p = READ.parse(r)) {
            List<String> header = p.getHeaderNames();
            if (!header.containsAll(FIXED) || header.stream().anyMatch(h -> h.equals(RANK_PREFIX))) {
                throw new IllegalArgumentException(csv + ":1: bad header " + header + " (expected "
                        + String.join(",", FIXED) + " and rank:<layer> columns)");
            }
            // Other columns (e.g. the trainer's per-step seconds) are not part of the curves.
            List<String> layers = header.stream().filter(h -> h.startsWith(RANK_PREFIX)).toList();
            List<String> groups = header.stream().filter(h -> h.startsWith(GROUP_NORM_PREFIX)).toList();
            List<String> used = new ArrayList<>(FIXED);
            used.addAll(layers);
            used.addAll(groups);
            List<double[]> rows = new ArrayList<>();
            for (CSVRecord rec : p) {
                if (rec.size() != header.size()) {
                    throw new IllegalArgumentException(csv + ":" + (rec.getRecordNumber() + 1) + ": expected "
                            + header.size() + " cells, found " + rec.size());
                }
                double[] v = new double[used.size()];
                for (int i = 0; i < v.length; i++) {
                    String cell = rec.get(used.get(i));
                    try {
                        v[i] = Double.parseDouble(cell.strip());
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(csv + ":" + (rec.getRecordNumber() + 1) + ": column "
                                + used.get(i) + ": '" + cell + "' is not a number", e);
                    }
                }
                rows.add(v);
            }
            int n = rows.size();
            double[][] cols = new double[used.size()][n];
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < used.size(); i++) {
                    cols[i][j] = rows.get(j)[i];
                }
            }
            Map<String, double[]> ranks = new LinkedHashMap<>();
            for (int i = 0; i < layers.size(); i++) {
                ranks.put(layers.get(i).substring(RANK_PREFIX.length()), cols[FIXED.size() + i]);
            }
            Map<String, double[]> groupNorms = new LinkedHashMap<>();
            for (int i = 0; i < groups.size(); i++) {
                groupNorms.put(groups.get(i).substring(GROUP_NORM_PREFIX.length()),
                        cols[FIXED.size() + layers.size() + i]);
            }
            return new TrainingLog(label, cols[0], cols[1], cols[2], cols[3], ranks, groupNorms);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(csv + ": training log not found", e);
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalArgumentException(csv + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** The gradient norm against step, one line per log, log-scaled (norms span decades early in training). */
    public static ReportInput.Chart gradNormChart(String file, List<TrainingLog> logs) {
        List<Series> series = logs.stream().map(l -> curve(l.label(), l.steps(), l.gradNorm())).toList();
        return new ReportInput.Chart(file, "QAT gradient norm", "step", "gradient norm (log)", series, true);
    }

    /**
     * The gradient norm's running mean over {@code window} steps, one line per log: per-step norms
     * are noisy (each batch has its own timesteps), the trend is what QVGen claims to lower.
     */
    public static ReportInput.Chart smoothedGradNormChart(String file, List<TrainingLog> logs, int window) {
        List<Series> series = logs.stream().map(l -> curve(l.label(), l.steps(), runningMean(l.gradNorm(), window)))
                .toList();
        return new ReportInput.Chart(file, "QAT gradient norm (running mean of " + window + " steps)", "step",
                "gradient norm", series, false);
    }

    /** Mean of {@code v} over its last {@code window} entries at each index (fewer at the start). */
    public static double[] runningMean(double[] v, int window) {
        double[] out = new double[v.length];
        double sum = 0;
        for (int i = 0; i < v.length; i++) {
            sum += v[i];
            if (i >= window) {
                sum -= v[i - window];
            }
            out[i] = sum / Math.min(i + 1, window);
        }
        return out;
    }

    /** Mean gradient norm over all logged steps. */
    public double meanGradNorm() {
        return java.util.Arrays.stream(gradNorm).average().orElse(Double.NaN);
    }

    /** The loss against step, one line per log. */
    public static ReportInput.Chart lossChart(String file, List<TrainingLog> logs) {
        List<Series> series = logs.stream().map(l -> curve(l.label(), l.steps(), l.loss())).toList();
        return new ReportInput.Chart(file, "QAT loss", "step", "loss (log)", series, true);
    }

    /**
     * The rank of Φ against step: one line per layer, or, with more than {@link #MAX_LAYER_LINES}
     * layers, the mean, min and max over layers.
     */
    public ReportInput.Chart rankChart(String file) {
        List<Series> series = new ArrayList<>();
        if (ranks.size() <= MAX_LAYER_LINES) {
            ranks.forEach((layer, r) -> series.add(curve(layer, steps, r)));
        } else {
            int n = steps.length;
            double[] mean = new double[n];
            double[] min = new double[n];
            double[] max = new double[n];
            for (int j = 0; j < n; j++) {
                double s = 0;
                double lo = Double.POSITIVE_INFINITY;
                double hi = Double.NEGATIVE_INFINITY;
                for (double[] r : ranks.values()) {
                    s += r[j];
                    lo = Math.min(lo, r[j]);
                    hi = Math.max(hi, r[j]);
                }
                mean[j] = s / ranks.size();
                min[j] = lo;
                max[j] = hi;
            }
            series.add(curve("mean over " + ranks.size() + " layers", steps, mean));
            series.add(curve("min", steps, min));
            series.add(curve("max", steps, max));
        }
        return new ReportInput.Chart(file, "Rank of Φ (" + label + ")", "step", "rank", series, false);
    }

    private static Series curve(String name, double[] x, double[] y) {
        List<double[]> pts = new ArrayList<>(x.length);
        for (int i = 0; i < x.length; i++) {
            pts.add(new double[] {x[i], y[i]});
        }
        return new Series(name, pts);
    }
}

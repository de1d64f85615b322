package dev.qvgen.harness.study;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.reports.ResultRow;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The run report of an ablation run renders the table (paired intervals against qvgen) and the curves. */
class AblationReportTest {
    /** One arm at W3A3: 6 prompts x 2 seeds, every ground-truth component {@code base[p] + shift}. */
    private static List<ResultRow> arm(String method, double shift) {
        double[] base = {0.5, 0.6, 0.4, 0.55, 0.45, 0.65};
        List<ResultRow> out = new ArrayList<>();
        for (int p = 0; p < base.length; p++) {
            for (int seed = 0; seed < 2; seed++) {
                Map<String, Double> s = new LinkedHashMap<>();
                for (String k : StudyReport.GROUND_TRUTH) {
                    s.put(k, base[p] + shift + 0.01 * seed * (p % 2 == 0 ? 1 : -1));
                }
                out.add(new ResultRow(method, "w3a3", p, "p" + p, 1000L * p + seed, "v" + p + seed, s, null));
            }
        }
        return out;
    }

    private static void log(Path runDir, String arm) throws IOException {
        StringBuilder csv = new StringBuilder("step,loss,grad_norm,lr_factor,seconds,rank:blocks.0.a\n");
        for (int i = 0; i < 30; i++) {
            csv.append(i).append(",0.1,").append(0.01 * (1 + i % 3)).append(",1,0.5,").append(arm.startsWith("qvgen") ? 4 : 0)
                    .append('\n');
        }
        Files.createDirectories(runDir.resolve("qat").resolve(arm));
        Files.writeString(runDir.resolve("qat").resolve(arm).resolve("log.csv"), csv);
    }

    @Test
    void theReportRendersTheAblationTableWithPairedIntervals(@TempDir Path run) throws IOException {
        List<ResultRow> rows = new ArrayList<>();
        rows.addAll(arm("fp", 0.3));
        rows.addAll(arm("qvgen", 0));
        rows.addAll(arm("qvgen-no-decay", -0.05));
        rows.addAll(arm("lsq", 0.002));
        for (String a : List.of("qvgen-w3a3", "qvgen-no-decay-w3a3", "lsq-w3a3")) {
            log(run, a);
        }
        StudyReport.write(run, rows, StudyReport.GROUND_TRUTH, "toy-wan", null);

        String md = Files.readString(run.resolve(AblationReport.FILE));
        assertTrue(md.contains("## W3A3"), md);
        // lsq first (the registry's order), then qvgen as the reference, then its variant
        int lsq = md.indexOf("| lsq (LSQ) | 12 |");
        int qvgen = md.indexOf("| qvgen (QVGen) | 12 |");
        int noDecay = md.indexOf("| qvgen-no-decay (QVGen, no rank decay) | 12 |");
        assertTrue(lsq > 0 && qvgen > lsq && noDecay > qvgen, md);
        String noDecayLine = md.substring(noDecay, md.indexOf('\n', noDecay));
        // a constant shift of -0.05 on every prompt: the mean and both ends of the interval
        assertTrue(noDecayLine.endsWith("| -0.050 | -0.050 to -0.050 |"), noDecayLine);
        String qvgenLine = md.substring(qvgen, md.indexOf('\n', qvgen));
        assertTrue(qvgenLine.endsWith("| – | – |"), qvgenLine);
        assertFalse(md.contains("| fp "), "full precision is not an ablation arm");
        assertTrue(md.contains("(plots/ablation_grad_norm_w3a3.svg)"), md);
        String svg = Files.readString(run.resolve("plots/ablation_grad_norm_w3a3.svg"));
        for (String a : List.of("qvgen-w3a3", "qvgen-no-decay-w3a3", "lsq-w3a3")) {
            assertTrue(svg.contains(a), "curve of " + a);
        }

        String report = Files.readString(run.resolve("report.md"));
        assertTrue(report.contains("Ablation W3A3: qvgen-no-decay minus qvgen on the toy ground truth -0.050 (95% "
                + "bootstrap interval over 6 prompts -0.050 to -0.050): worse than QVGen."), report);
        assertTrue(report.contains("Ablation W3A3: lsq minus qvgen on the toy ground truth +0.002"), report);
        assertTrue(report.contains("plots/ablation_grad_norm_w3a3.svg"), report);
    }

    @Test
    void aRunWithoutQvgenVariantsHasNoAblationTable(@TempDir Path run) throws IOException {
        List<ResultRow> rows = new ArrayList<>();
        rows.addAll(arm("qvgen", 0));
        rows.addAll(arm("lsq", 0.01));
        assertFalse(AblationReport.applies(rows));
        StudyReport.write(run, rows, StudyReport.GROUND_TRUTH, "toy-wan", null);
        assertFalse(Files.exists(run.resolve(AblationReport.FILE)));
    }

    @Test
    void theAblationArmsAreReadFromTheMethodsRegistry() {
        assertTrue(AblationReport.ARMS.containsAll(List.of("lsq", "qvgen", "qvgen-no-decay", "qvgen-fixed-rank",
                "qvgen-magnitude", "qvgen-keep25", "qvgen-keep75")), AblationReport.ARMS.toString());
    }
}

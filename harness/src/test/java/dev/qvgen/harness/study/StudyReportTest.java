package dev.qvgen.harness.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.reports.paper.TrainingLog;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The report's verdicts follow the numbers, whichever way they fall. */
class StudyReportTest {
    private static TrainingLog log(Path dir, String label, double... grads) throws IOException {
        StringBuilder csv = new StringBuilder("step,loss,grad_norm,lr_factor,seconds,rank:blocks.0.a\n");
        for (int i = 0; i < grads.length; i++) {
            csv.append(i + 1).append(",0.1,").append(grads[i]).append(",1,0.5,").append(label.startsWith("qvgen") ? 4 : 0)
                    .append('\n');
        }
        Path f = dir.resolve(label + ".csv");
        Files.writeString(f, csv);
        return TrainingLog.read(f, label);
    }

    private static List<dev.qvgen.reports.ResultRow> rows(String method, double... gt) {
        List<dev.qvgen.reports.ResultRow> out = new java.util.ArrayList<>();
        for (int i = 0; i < gt.length; i++) {
            java.util.Map<String, Double> s = new java.util.LinkedHashMap<>();
            for (String k : StudyReport.GROUND_TRUTH) {
                s.put(k, gt[i]);
            }
            out.add(new dev.qvgen.reports.ResultRow(method, "w3a3", i, "p" + i, 1000L * i, "v" + i, s, null));
        }
        return out;
    }

    @Test
    void scoreVerdictUsesThePairedBootstrapInterval() {
        List<dev.qvgen.reports.ResultRow> all = new java.util.ArrayList<>();
        all.addAll(rows("qvgen", 0.6, 0.7, 0.5, 0.6, 0.65, 0.55));
        all.addAll(rows("rtn", 0.3, 0.4, 0.2, 0.3, 0.35, 0.25));
        all.addAll(rows("lsq", 0.7, 0.6, 0.4, 0.7, 0.55, 0.6));
        List<String> notes = StudyReport.findings(dev.qvgen.reports.Summary.of(all, StudyReport.GROUND_TRUTH), all);
        String rtn = notes.stream().filter(n -> n.startsWith("W3A3: QVGen") && n.contains(" rtn on")).findFirst().orElseThrow();
        String lsq = notes.stream().filter(n -> n.startsWith("W3A3: QVGen") && n.contains(" lsq on")).findFirst().orElseThrow();
        assertTrue(rtn.contains("QVGen beats rtn"), rtn);
        assertTrue(lsq.contains("within noise"), lsq);
    }

    @Test
    void aDimensionThatDoesNotSeparateFpFromRtnW3a3IsMarked() {
        List<dev.qvgen.reports.ResultRow> all = new java.util.ArrayList<>();
        double[] fp = {0.9, 0.8, 0.95, 0.85, 0.9, 0.8};
        double[] rtn = {0.3, 0.4, 0.2, 0.3, 0.35, 0.25};
        for (int i = 0; i < fp.length; i++) {
            all.add(new dev.qvgen.reports.ResultRow("fp", "fp32", i, "p" + i, i, "v", java.util.Map.of("toy_color", fp[i],
                    "dynamic_degree", 1.0), null));
            all.add(new dev.qvgen.reports.ResultRow("rtn", "w3a3", i, "p" + i, i, "v", java.util.Map.of("toy_color", rtn[i],
                    "dynamic_degree", 1.0), null));
        }
        java.util.Map<String, String> d = new java.util.LinkedHashMap<>(java.util.Map.of("toy_color", "colour",
                "dynamic_degree", "flow"));
        List<String> notes = StudyReport.markDiscrimination(all, List.of("toy_color", "dynamic_degree"), d);
        assertEquals("colour", d.get("toy_color"));
        assertTrue(d.get("dynamic_degree").contains("does not discriminate on this world"), d.toString());
        assertTrue(notes.stream().anyMatch(n -> n.startsWith("dynamic_degree: does not discriminate on this world")),
                notes.toString());
        assertTrue(notes.stream().anyMatch(n -> n.startsWith("toy_color: separates fp fp32 from rtn w3a3")),
                notes.toString());
        assertTrue(StudyReport.markDiscrimination(all.stream().filter(r -> r.method().equals("fp")).toList(),
                List.of("toy_color"), d).isEmpty(), "no RTN W3A3 arm, nothing to judge");
    }

    @Test
    void gradientVerdictSaysWhetherQvgenStaysBelowLsq(@TempDir Path tmp) throws IOException {
        List<String> holds = StudyReport.gradientFindings(List.of(log(tmp, "qvgen-w3a3", 1, 1, 1),
                log(tmp, "lsq-w3a3", 2, 2, 2)), "gradient norm");
        assertTrue(holds.get(1).contains("below LSQ's at 3 of 3 steps") && holds.get(1).contains("claim holds"),
                holds.toString());
        List<String> fails = StudyReport.gradientFindings(List.of(log(tmp, "qvgen-w4a4", 1, 3, 3),
                log(tmp, "lsq-w4a4", 2, 2, 2)), "gradient norm");
        assertTrue(fails.get(1).contains("does NOT hold"), fails.toString());
        assertEquals(2, fails.size());
    }
}

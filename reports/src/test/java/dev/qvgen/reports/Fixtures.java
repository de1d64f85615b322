package dev.qvgen.reports;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small hand-made runs shared by the tests. */
final class Fixtures {
    static final String QUOTED = "a red circle, \"quoted\", moves left";
    static final String SCRIPT = "<script>alert(1)</script> & a blue square";

    /**
     * Two groups × two prompts. fp: m1 = {1.0, 0.5}, m2 = {0.5} (second row lacks it);
     * rtn w3a3: m1 = {0.25}, m2 = {0.0}, and one row that failed to score.
     */
    static final List<ResultRow> ROWS = List.of(
            new ResultRow("fp", "fp16", 0, QUOTED, 0, "videos/fp-fp16/" + QUOTED + "-0.mp4",
                    Map.of("m1", 1.0, "m2", 0.5), null),
            new ResultRow("fp", "fp16", 1, SCRIPT, 1, "videos/fp-fp16/b c#1.mp4", Map.of("m1", 0.5), null),
            new ResultRow("rtn", "w3a3", 0, QUOTED, 0, "videos/rtn-w3a3/a.mp4", Map.of("m1", 0.25, "m2", 0.0), null),
            new ResultRow("rtn", "w3a3", 1, SCRIPT, 1, "videos/rtn-w3a3/b.mp4", Map.of(),
                    "videos/rtn-w3a3/b.mp4: truncated (moov atom not found)"));

    private Fixtures() {}

    static Map<String, String> metrics() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("m2", "second metric, shown first");
        m.put("m1", "first metric");
        return m;
    }

    static ReportInput input(List<ReportInput.Chart> charts) {
        return new ReportInput("Toy <study>", "run-1", List.of("FP beats RTN.", "Second <b>note</b>."), ROWS,
                metrics(), charts);
    }

    static ReportInput.Chart lossChart() {
        return new ReportInput.Chart("training.svg", "Training", "step", "loss",
                List.of(new Series("loss", List.of(new double[] {0, 1}, new double[] {10, 0.1},
                        new double[] {20, 0.05}))), true);
    }
}

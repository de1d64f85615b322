package dev.qvgen.reports;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes a run's results and reports: results.csv/json, plots/*.svg, report.md, report.html. */
public final class ReportWriter {
    private ReportWriter() {}

    public static void writeAll(Path runDir, ReportInput in) throws IOException {
        List<Summary> summary = in.summary();
        ResultsCsv.write(runDir.resolve("results.csv"), in.rows());
        ResultsJson.write(runDir.resolve("results.json"), in.runId(), in.rows(), summary);
        Map<String, String> svgs = new LinkedHashMap<>();
        svgs.put("plots/scores.svg", SvgPlots.groupedBars("Scores by method and bit width", summary,
                List.copyOf(in.metrics().keySet())));
        for (ReportInput.Chart c : in.charts()) {
            svgs.put("plots/" + c.file(), SvgPlots.lines(c.title(), c.xLabel(), c.series(), c.logY()));
        }
        for (var e : svgs.entrySet()) {
            AtomicFiles.writeString(runDir.resolve(e.getKey()), e.getValue());
        }
        AtomicFiles.writeString(runDir.resolve("report.md"), MarkdownReport.render(in, new ArrayList<>(svgs.keySet())));
        AtomicFiles.writeString(runDir.resolve("report.html"), HtmlReport.render(in, svgs));
    }
}

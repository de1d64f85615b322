package dev.qvgen.reports;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** Writes a run's results and reports into its directory. */
public final class ReportWriter {
    private ReportWriter() {}

    /**
     * Writes results.csv, results.json, plots/*.svg, report.md and report.html, each atomically;
     * the plots come before the reports that link to them.
     *
     * @return the files written, in that order
     */
    public static List<Path> writeAll(Path runDir, ReportInput in) throws IOException {
        List<Path> written = new ArrayList<>();
        Path csv = runDir.resolve("results.csv");
        ResultsCsv.write(csv, in.rows());
        written.add(csv);
        Path json = runDir.resolve("results.json");
        ResultsJson.write(json, new ResultsJson.Contents(in.runId(), Instant.now().truncatedTo(ChronoUnit.SECONDS),
                in.rows(), in.summary()));
        written.add(json);
        List<Plot> plots = Plot.forReport(in);
        for (Plot p : plots) {
            Path svg = runDir.resolve(p.path());
            AtomicFiles.writeString(svg, p.svg());
            written.add(svg);
        }
        Path md = runDir.resolve("report.md");
        MarkdownReport.write(md, in, plots);
        written.add(md);
        Path html = runDir.resolve("report.html");
        HtmlReport.write(html, in, plots);
        written.add(html);
        return List.copyOf(written);
    }
}

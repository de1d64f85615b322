package dev.qvgen.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

class ReportWriterTest {
    @TempDir
    Path run;

    @Test
    void writesEveryFileIntoTheRunDirectoryAndNoTemporaryFiles() throws IOException {
        ReportInput in = Fixtures.input(List.of(Fixtures.lossChart()));
        List<Path> written = ReportWriter.writeAll(run, in);
        assertEquals(Stream.of("results.csv", "results.json", "plots/scores.svg", "plots/training.svg", "report.md",
                "report.html").map(run::resolve).toList(), written);
        try (Stream<Path> all = Files.walk(run)) {
            assertEquals(6, all.filter(Files::isRegularFile).peek(p -> assertTrue(!p.toString().endsWith(".tmp")))
                    .count());
        }
        assertEquals(Fixtures.ROWS, ResultsCsv.read(run.resolve("results.csv")));
        ResultsJson.Contents json = ResultsJson.read(run.resolve("results.json"));
        assertEquals("run-1", json.runId());
        assertEquals(in.summary(), json.summary());
        assertEquals(Files.readString(run.resolve("plots/training.svg")), Plot.forReport(in).get(1).svg());
    }

    @Test
    void chartFileMustBeAPlainSvgNameThatIsNotTheScoresPlot() {
        for (String bad : List.of("../x.svg", "a/b.svg", "x.png", ReportInput.SCORES_PLOT)) {
            assertThrows(IllegalArgumentException.class,
                    () -> new ReportInput.Chart(bad, "t", "x", List.of(), false), bad);
        }
    }
}

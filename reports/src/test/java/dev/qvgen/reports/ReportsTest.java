package dev.qvgen.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.xml.parsers.DocumentBuilderFactory;

class ReportsTest {
    @TempDir
    Path tmp;

    static final List<ResultRow> ROWS = List.of(
            new ResultRow("fp", "fp32", 0, "a red circle, \"quoted\"", 0, "videos/fp/a.mp4", Map.of("m1", 1.0, "m2", 0.5), null),
            new ResultRow("fp", "fp32", 1, "<script>alert(1)</script>", 1, "videos/fp/b c.mp4", Map.of("m1", 0.5), null),
            new ResultRow("rtn", "w3a3", 0, "a red circle, \"quoted\"", 0, "videos/rtn-w3a3/a.mp4", Map.of("m1", 0.25, "m2", 0.0), null),
            new ResultRow("rtn", "w3a3", 1, "<script>alert(1)</script>", 1, "videos/rtn-w3a3/b.mp4", Map.of(), "x.mp4: truncated"));

    @Test
    void csvAndJsonRoundTrip() throws IOException {
        ResultsCsv.write(tmp.resolve("r.csv"), ROWS);
        assertEquals(ROWS, ResultsCsv.read(tmp.resolve("r.csv")));
        ResultsJson.write(tmp.resolve("r.json"), "run", ROWS, Summary.of(ROWS, List.of("m1", "m2")));
        assertEquals(ROWS, ResultsJson.readRows(tmp.resolve("r.json")));
    }

    @Test
    void csvReaderRejectsWrongHeaderNamingTheFile() throws IOException {
        Path f = tmp.resolve("bad.csv");
        Files.writeString(f, "name,score\nx,1\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ResultsCsv.read(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        Files.writeString(f, String.join(",", ResultsCsv.FIXED) + ",m1\nfp,fp32,notanint,p,0,v,,1\n");
        IllegalArgumentException row = assertThrows(IllegalArgumentException.class, () -> ResultsCsv.read(f));
        assertTrue(row.getMessage().startsWith(f + ":2:"), row.getMessage());
    }

    @Test
    void summaryMeansStandardErrorsAndDeltas() {
        List<Summary> s = Summary.of(ROWS, List.of("m1", "m2"));
        assertEquals(List.of("fp fp32", "rtn w3a3"), s.stream().map(Summary::group).toList());
        Summary.Stat fp = s.get(0).stats().get("m1");
        assertEquals(0.75, fp.mean(), 1e-12);
        // sample sd of {1, 0.5} = 0.35355; se = sd / sqrt(2) = 0.25
        assertEquals(0.25, fp.stdErr(), 1e-12);
        assertEquals(1, s.get(1).errors());
        assertEquals(1, s.get(1).stats().get("m1").n());
        assertEquals(-0.5, s.get(1).deltaVs(s.get(0)).get("m1"), 1e-12);
        assertEquals(-0.5, s.get(1).deltaVs(s.get(0)).get("m2"), 1e-12);
    }

    @Test
    void svgIsWellFormedAndDeterministic() throws Exception {
        List<Summary> s = Summary.of(ROWS, List.of("m1", "m2"));
        String bars = SvgPlots.groupedBars("t <&>", s, List.of("m1", "m2"));
        assertEquals(bars, SvgPlots.groupedBars("t <&>", s, List.of("m1", "m2")));
        String lines = SvgPlots.lines("loss", "step", List.of(new Series("a", List.of(new double[] {0, 1},
                new double[] {10, 0.1}))), true);
        for (String svg : List.of(bars, lines)) {
            DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        }
        assertTrue(bars.contains("<rect") && lines.contains("<polyline"));
    }

    @Test
    void reportsHaveOneVideoPerRowAndEscapeText() throws IOException {
        Map<String, String> metrics = new LinkedHashMap<>();
        metrics.put("m1", "first");
        metrics.put("m2", "second");
        ReportWriter.writeAll(tmp, new ReportInput("T", "run", List.of("a note"), ROWS, metrics, List.of()));
        String html = Files.readString(tmp.resolve("report.html"));
        assertEquals(ROWS.size(), html.split("<video ", -1).length - 1);
        assertEquals(ROWS.size(), html.split("</video>", -1).length - 1);
        assertTrue(html.contains("src=\"videos/fp/b%20c.mp4\""), html);
        assertTrue(!html.contains("<script>") && html.contains("&lt;script&gt;"));
        String md = Files.readString(tmp.resolve("report.md"));
        String header = md.lines().filter(l -> l.startsWith("| method | bits | n |")).findFirst().orElseThrow();
        String sep = md.lines().filter(l -> l.startsWith("|---|---|---|")).findFirst().orElseThrow();
        assertEquals(header.chars().filter(c -> c == '|').count(), sep.chars().filter(c -> c == '|').count());
        assertEquals(6 + 1, header.chars().filter(c -> c == '|').count());
        assertTrue(Files.exists(tmp.resolve("plots/scores.svg")) && Files.exists(tmp.resolve("results.csv")));
    }
}

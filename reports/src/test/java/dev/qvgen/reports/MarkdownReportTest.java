package dev.qvgen.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

class MarkdownReportTest {
    private final ReportInput in = Fixtures.input(List.of(Fixtures.lossChart()));
    private final String md = MarkdownReport.render(in, Plot.forReport(in));

    /** Cells of a Markdown table line: unescaped '|' separators, minus the outer two. */
    private static int columns(String line) {
        return line.replace("\\|", "").split("\\|", -1).length - 2;
    }

    private List<String> table(String heading) {
        List<String> lines = md.lines().toList();
        int start = lines.indexOf(lines.stream().filter(l -> l.startsWith(heading)).findFirst().orElseThrow());
        return lines.subList(start + 2, lines.size()).stream().takeWhile(l -> l.startsWith("|")).toList();
    }

    @Test
    void scoresTableHasFourFixedColumnsPlusOnePerMetricOnEveryLine() {
        List<String> t = table("## Scores");
        assertEquals(2 + 2, t.size());
        t.forEach(l -> assertEquals(4 + 2, columns(l), l));
        assertEquals("| method | bits | n | errors | m2 | m1 |", t.get(0));
        assertEquals("| fp | fp16 | 2 | 0 | 0.500 (n=1) | 0.750 ± 0.250 |", t.get(2));
    }

    @Test
    void deltaTableListsEveryGroupButTheReference() {
        List<String> t = table("## Difference from fp fp16");
        assertEquals(List.of("| method | bits | m2 | m1 |", "|---|---|---:|---:|", "| rtn | w3a3 | -0.500 | -0.500 |"), t);
    }

    @Test
    void pipeInANameDoesNotAddAColumn() {
        List<ResultRow> rows = List.of(new ResultRow("a|b", "w4a4", 0, "p", 0, "v.mp4", Map.of("m1", 1.0), null));
        ReportInput odd = new ReportInput("t", "r", List.of(), rows, Map.of("m1", "d"), List.of());
        String line = MarkdownReport.render(odd, List.of()).lines().filter(l -> l.startsWith("| a")).findFirst()
                .orElseThrow();
        assertEquals(4 + 1, columns(line), line);
    }

    @Test
    void includesNotesMetricDescriptionsAndLinksToThePlots() {
        assertTrue(md.contains("\n\nFP beats RTN.\n\n"), md);
        assertTrue(md.contains("- `m2`: second metric, shown first\n"), md);
        assertTrue(md.contains("- [Scores by method and bit width](plots/scores.svg)\n"), md);
        assertTrue(md.contains("![Training](plots/training.svg)"), md);
    }
}

package dev.qvgen.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

class SummaryTest {
    private static ResultRow row(String method, String bits, Map<String, Double> scores, String error) {
        return new ResultRow(method, bits, 0, "p", 0, "v.mp4", scores, error);
    }

    @Test
    void meanAndStandardErrorMatchHandComputation() {
        // m = {1, 0.5, 0}: mean 0.5; sample variance ((0.5² + 0 + 0.5²) / 2) = 0.25, sd 0.5; se = 0.5 / √3.
        List<ResultRow> rows = List.of(row("fp", "fp16", Map.of("m", 1.0), null),
                row("fp", "fp16", Map.of("m", 0.5), null), row("fp", "fp16", Map.of("m", 0.0), null));
        Summary.Stat s = Summary.of(rows, List.of("m")).get(0).stats().get("m");
        assertEquals(0.5, s.mean(), 1e-15);
        assertEquals(0.5 / Math.sqrt(3), s.stdErr(), 1e-15);
        assertEquals(3, s.n());
    }

    @Test
    void groupsFollowFirstAppearanceAndCountVideosErrorsAndValues() {
        List<ResultRow> rows = List.of(row("rtn", "w4a4", Map.of("m", 0.2), null),
                row("fp", "fp16", Map.of("m", 0.9), null), row("rtn", "w4a4", Map.of(), "decode failed"),
                row("rtn", "w3a3", Map.of("m", 0.1), null), row("rtn", "w4a4", Map.of("m", 0.4), null));
        List<Summary> s = Summary.of(rows, List.of("m"));
        assertEquals(List.of("rtn w4a4", "fp fp16", "rtn w3a3"), s.stream().map(Summary::group).toList());
        Summary w4 = s.get(0);
        assertEquals(3, w4.videos());
        assertEquals(1, w4.errors());
        assertEquals(2, w4.stats().get("m").n());
        assertEquals(0.3, w4.stats().get("m").mean(), 1e-15);
        assertEquals(0.1, w4.stats().get("m").stdErr(), 1e-15);
    }

    @Test
    void oneValueHasNoStandardErrorAndNoValueHasNoMean() {
        Summary s = Summary.of(List.of(row("fp", "fp16", Map.of("m", 0.7), null)), List.of("m", "other")).get(0);
        assertEquals(0.7, s.stats().get("m").mean());
        assertTrue(Double.isNaN(s.stats().get("m").stdErr()));
        assertEquals(0, s.stats().get("other").n());
        assertTrue(Double.isNaN(s.stats().get("other").mean()));
    }

    @Test
    void deltasAgainstTheFullPrecisionGroup() {
        List<Summary> s = Summary.of(Fixtures.ROWS, List.of("m1", "m2"));
        Summary fp = Summary.reference(s, Summary.DEFAULT_REFERENCE_METHOD).orElseThrow();
        assertEquals("fp fp16", fp.group());
        Map<String, Double> d = s.get(1).deltaVs(fp);
        assertEquals(List.of("m1", "m2"), List.copyOf(d.keySet()));
        assertEquals(0.25 - 0.75, d.get("m1"), 1e-15);
        assertEquals(0.0 - 0.5, d.get("m2"), 1e-15);
        assertEquals(0.0, fp.deltaVs(fp).get("m1"));
    }

    @Test
    void noReferenceWhenTheRunHasNoSuchMethodAndNaNDeltaForMissingMetric() {
        List<Summary> s = Summary.of(Fixtures.ROWS.subList(2, 4), List.of("m1"));
        assertTrue(Summary.reference(s, "fp").isEmpty());
        Summary onlyM2 = Summary.of(List.of(row("fp", "fp16", Map.of("m2", 1.0), null)), List.of("m2")).get(0);
        assertTrue(Double.isNaN(s.get(0).deltaVs(onlyM2).get("m1")));
    }

    @Test
    void withoutAMetricListSummarisesEveryMetricSorted() {
        Summary s = Summary.of(Fixtures.ROWS).get(0);
        assertEquals(List.of("m1", "m2"), List.copyOf(s.stats().keySet()));
    }
}

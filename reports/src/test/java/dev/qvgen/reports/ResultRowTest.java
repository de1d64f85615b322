package dev.qvgen.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

class ResultRowTest {
    @Test
    void dropsNonFiniteScoresSortsMetricsAndKeepsErrorsOnOneLine() {
        Map<String, Double> scores = new HashMap<>(Map.of("b", 1.0, "a", Double.NaN, "c", 0.5));
        scores.put("d", null);
        ResultRow r = new ResultRow("fp", "fp16", 0, "p", 0, "v.mp4", scores, "  decode failed:\n  bad frame\r\n ");
        assertEquals(List.of("b", "c"), List.copyOf(r.scores().keySet()));
        assertEquals("decode failed: bad frame", r.error());
        assertNull(new ResultRow("fp", "fp16", 0, "p", 0, "v.mp4", null, " ").error());
    }
}

package dev.qvgen.reports.paper;

import dev.qvgen.reports.ResultRow;
import dev.qvgen.reports.Summary;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PaperTableTest {
    /** Two prompts per group; dynamic_degree and scene (VBench), toy_color (not VBench). */
    static List<ResultRow> rows() {
        List<ResultRow> rows = new ArrayList<>();
        Object[][] groups = {
            {"qvgen", "w3a3", 0.50, 0.30},
            {"rtn", "w3a3", 0.20, 0.10},
            {"fp", "bf16", 0.60, 0.40},
            {"lsq", "w3a3", 0.25, 0.28},
            {"rtn", "w4a4", 0.40, 0.35},
        };
        for (Object[] g : groups) {
            for (int p = 0; p < 2; p++) {
                double dd = (double) g[2] + (p == 0 ? -0.05 : 0.05);
                rows.add(new ResultRow((String) g[0], (String) g[1], p, "prompt " + p, p, "v/" + g[0] + p + ".mp4",
                        Map.of("dynamic_degree", dd, "scene", (double) g[3], "toy_color", 1.0), null));
            }
        }
        return rows;
    }

    @Test
    void rowsInPaperOrderColumnsVbenchDimensionsOnly() {
        PaperTable t = PaperTable.of("cogvideox-2b", rows(), PublishedNumbers.load());
        assertEquals(List.of("dynamic_degree", "scene"), t.dimensions());
        assertEquals(List.of("fp bf16", "rtn w4a4", "rtn w3a3", "lsq w3a3", "qvgen w3a3"),
                t.rows().stream().map(Summary::group).toList());
        Summary qvgen = t.rows().get(4);
        assertEquals(50.0, t.percent(qvgen, "dynamic_degree"), 1e-9);
        assertEquals(-10.0, t.deltaFp(qvgen, "dynamic_degree"), 1e-9);
        assertEquals(-10.0, t.deltaFp(qvgen, "scene"), 1e-9);
    }

    @Test
    void claimsAreSetAgainstTheStrongestOtherMethod() {
        PaperTable t = PaperTable.of("cogvideox-2b", rows(), PublishedNumbers.load());
        List<PaperTable.ClaimCheck> claims = t.claims();
        assertEquals(2, claims.size());
        PaperTable.ClaimCheck dd = claims.get(0);
        assertEquals("dynamic_degree", dd.claim().dimension());
        assertEquals(25.28, dd.claim().improvement());
        assertEquals(50.0 - 25.0, dd.ours(), 1e-9, "qvgen 50 vs lsq 25 (rtn 20)");
        assertEquals("lsq", dd.strongestOther());
        assertEquals(30.0 - 28.0, claims.get(1).ours(), 1e-9);
        assertTrue(t.markdown().contains("+25.00 over LSQ"), t.markdown());
        // Another model: the claims are not about it.
        assertTrue(PaperTable.of("wan2.1-t2v-14b", rows(), PublishedNumbers.load()).claims().isEmpty());
    }

    @Test
    void deltasAgainstPublishedNumbersWhenThereAreAny() {
        PublishedNumbers pub = PublishedNumbers.parse("""
                {"paper": "P", "url": "u", "scale": "percent", "note": "n",
                 "tables": [{"table": "9", "page": 3, "model": "m",
                   "rows": [{"method": "qvgen", "bits": "w3a3", "values": {"dynamic_degree": 45.5}},
                            {"method": "fp", "bits": "bf16", "values": {"scene": 41.0}}]}],
                 "claims": []}""", "test.json");
        PaperTable t = PaperTable.of("m", rows(), pub);
        assertTrue(t.hasPublished());
        Summary fp = t.rows().get(0);
        Summary qvgen = t.rows().get(4);
        assertEquals(4.5, t.deltaPaper(qvgen, "dynamic_degree").orElseThrow(), 1e-9);
        assertEquals(-1.0, t.deltaPaper(fp, "scene").orElseThrow(), 1e-9);
        assertTrue(t.deltaPaper(qvgen, "scene").isEmpty());
        String md = t.markdown();
        assertTrue(md.contains("Published values: Table 9, p. 3 of P."), md);
        assertTrue(md.contains("| QVGen | W3A3 | +4.50 | – |"), md);
        assertFalse(PaperTable.of("other", rows(), pub).hasPublished());
    }

    @Test
    void bundledNumbersCarryTheirSource() {
        PublishedNumbers p = PublishedNumbers.load();
        assertTrue(p.url().contains("2505.11497"));
        p.claims().forEach(c -> assertTrue(c.source().contains("2505.11497") && c.source().contains("page"),
                c.source()));
        assertThrows(IllegalArgumentException.class, () -> PublishedNumbers.parse("{\"scale\": \"raw\"}", "x.json"));
    }

    @Test
    void markdownTableHasOneColumnPerDimension() {
        String md = PaperTable.of("cogvideox-2b", rows(), null).markdown();
        assertTrue(md.contains("| Method | Bits | Dynamic Degree | Scene |"), md);
        assertTrue(md.contains("| Full precision | BF16 | 60.00 | 40.00 |"), md);
        assertTrue(md.contains("| RTN | W3A3 | -40.00 | -30.00 |"), md);
        assertTrue(md.contains("No published per-method numbers for cogvideox-2b"), md);
    }
}

package dev.qvgen.reports.gate;

import dev.qvgen.reports.ResultRow;
import dev.qvgen.reports.ResultsCsv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;

import javax.xml.parsers.DocumentBuilderFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GateTest {
    /**
     * A run of 32 prompts x 2 seeds: per-prompt difficulty plus per-video noise, the way real
     * scores vary. {@code shift} changes the candidate's scores.
     */
    static List<ResultRow> run(long noiseSeed, DoubleUnaryOperator shift) {
        Random prompts = new Random(7);
        double[] difficulty = new double[32];
        for (int p = 0; p < 32; p++) {
            difficulty[p] = 0.5 + 0.2 * prompts.nextGaussian();
        }
        Random noise = new Random(noiseSeed);
        List<ResultRow> rows = new ArrayList<>();
        for (String[] g : new String[][] {{"fp", "fp32"}, {"rtn", "w4a4"}}) {
            for (int p = 0; p < 32; p++) {
                for (int s = 0; s < 2; s++) {
                    double flicker = shift.applyAsDouble(0.95 + 0.01 * noise.nextGaussian());
                    double dynamic = shift.applyAsDouble(difficulty[p] + 0.05 * noise.nextGaussian());
                    rows.add(new ResultRow(g[0], g[1], p, "prompt " + p, 1000L * p + s,
                            "videos/" + g[0] + "/" + p + "-" + s + ".mp4",
                            Map.of("temporal_flickering", flicker, "dynamic_degree", dynamic), null));
                }
            }
        }
        return rows;
    }

    static final Tolerances TOL = Tolerances.uniform(0.01);

    @Test
    void identicalRunsPass() {
        Gate.Report r = Gate.compare(run(1, x -> x), run(1, x -> x), TOL);
        assertFalse(r.regressed());
        assertEquals(4, r.checks().size(), "2 groups x 2 dimensions");
        r.checks().forEach(c -> {
            assertEquals(0.0, c.change(), 1e-12);
            assertEquals(32, c.prompts());
            assertEquals(64, c.pairs());
        });
    }

    @Test
    void noiseAlonePasses() {
        // Same prompts and seeds, fresh per-video noise: no real change.
        for (long seed = 2; seed < 12; seed++) {
            Gate.Report r = Gate.compare(run(1, x -> x), run(seed, x -> x), TOL);
            assertFalse(r.regressed(), "noise seed " + seed + ": " + r.checks());
        }
    }

    @Test
    void aClearDropIsARegression() {
        Gate.Report r = Gate.compare(run(1, x -> x), run(2, x -> x - 0.08), TOL);
        assertTrue(r.regressed());
        for (Gate.Check c : r.checks()) {
            assertEquals(Gate.Verdict.REGRESSION, c.verdict(), c.message());
            assertEquals(-0.08, c.change(), 0.03);
            assertTrue(c.high() < -0.01 && c.low() < c.high(), c.message());
        }
    }

    @Test
    void aDropWithinToleranceOrAnImprovementPasses() {
        Tolerances generous = Tolerances.parse("default: 0.2\n", "t.yaml");
        assertFalse(Gate.compare(run(1, x -> x), run(2, x -> x - 0.08), generous).regressed());
        assertFalse(Gate.compare(run(1, x -> x), run(2, x -> x + 0.08), TOL).regressed());
    }

    @Test
    void perDimensionToleranceOverridesTheDefault() {
        Tolerances t = Tolerances.parse("default: 0.01\ndimensions:\n  dynamic_degree: 0.2\n", "t.yaml");
        Gate.Report r = Gate.compare(run(1, x -> x), run(2, x -> x - 0.08), t);
        for (Gate.Check c : r.checks()) {
            assertEquals(c.dimension().equals("dynamic_degree") ? Gate.Verdict.PASS : Gate.Verdict.REGRESSION,
                    c.verdict(), c.message());
        }
    }

    @Test
    void deterministic() {
        List<ResultRow> a = run(1, x -> x);
        List<ResultRow> b = run(3, x -> x - 0.004);
        assertEquals(Gate.compare(a, b, TOL), Gate.compare(a, b, TOL));
        assertEquals(JUnitXml.render(Gate.compare(a, b, TOL), Map.of()),
                JUnitXml.render(Gate.compare(a, b, TOL), Map.of()));
    }

    @Test
    void pairsByPromptAndSeedNotByRowOrder() {
        List<ResultRow> cand = new ArrayList<>(run(1, x -> x));
        java.util.Collections.reverse(cand);
        Gate.compare(run(1, x -> x), cand, TOL).checks().forEach(c -> assertEquals(0.0, c.change(), 1e-12));
    }

    @Test
    void setsThatDoNotPairAreBadInput() {
        List<ResultRow> base = run(1, x -> x);
        List<ResultRow> noRtn = base.stream().filter(r -> r.method().equals("fp")).toList();
        GateInputException missing = assertThrows(GateInputException.class, () -> Gate.compare(base, noRtn, TOL));
        assertEquals("candidate has no rows for group 'rtn w4a4' that the baseline has", missing.getMessage());
        List<ResultRow> dup = new ArrayList<>(base);
        dup.add(base.get(0));
        assertTrue(assertThrows(GateInputException.class, () -> Gate.compare(base, dup, TOL)).getMessage()
                .startsWith("candidate: two rows for fp fp32, prompt 0, seed 0"));
        List<ResultRow> otherSeeds = base.stream().map(r -> new ResultRow(r.method(), r.bits(), r.promptIndex(),
                r.prompt(), r.seed() + 7, r.video(), r.scores(), r.error())).toList();
        assertTrue(assertThrows(GateInputException.class, () -> Gate.compare(base, otherSeeds, TOL)).getMessage()
                .contains("share no (method, bits, prompt, seed)"));
        Tolerances typo = Tolerances.parse("dimensions:\n  dynamic_degre: 0.1\n", "t.yaml");
        assertTrue(assertThrows(GateInputException.class, () -> Gate.compare(base, base, typo)).getMessage()
                .startsWith("tolerances name dimension 'dynamic_degre' that neither result set has"));
    }

    @Test
    void badTolerancesFilesAreOneLineErrors(@TempDir Path dir) throws Exception {
        String[][] cases = {
            {"default: 0.01\nmax_drop: 3\n", "t.yaml:2: key 'max_drop': unknown key"},
            {"default: -0.1\n", "t.yaml:1: key 'default': -0.1 is negative"},
            {"default: lots\n", "t.yaml:1: key 'default': 'lots' is not a finite number"},
            {"dimensions: [a, b]\n", "t.yaml:1: key 'dimensions': expected a mapping"},
            {"confidence: 1.5\n", "t.yaml:1: key 'confidence': 1.5 is not in [0.5, 1)"},
            {"resamples: 5\n", "t.yaml:1: key 'resamples': 5 is not in 100..1000000"},
            {"{\"default\": 0.1,\n \"dimensions\": {\"a\": 0.1, \"a\": 0.2}}\n", "t.yaml:2: key 'dimensions.a': repeated key"},
            {"default: [0.1\n", "t.yaml:2: not valid YAML or JSON"},
        };
        for (String[] c : cases) {
            GateInputException e = assertThrows(GateInputException.class, () -> Tolerances.parse(c[0], "t.yaml"), c[0]);
            assertTrue(e.getMessage().startsWith(c[1]), c[0] + " -> " + e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
        Path json = dir.resolve("t.json");
        Files.writeString(json, "{\"default\": 0.02, \"dimensions\": {\"dynamic_degree\": 0.1}, \"seed\": 5}");
        Tolerances t = Tolerances.read(json);
        assertEquals(0.02, t.maxDrop("temporal_flickering"));
        assertEquals(0.1, t.maxDrop("dynamic_degree"));
        assertEquals(5L, t.seed());
        assertTrue(assertThrows(GateInputException.class, () -> Tolerances.read(dir.resolve("none.yaml")))
                .getMessage().endsWith("none.yaml: tolerances file not found"));
    }

    @Test
    void readsRunDirectoriesAndFiles(@TempDir Path dir) throws Exception {
        ResultsCsv.write(dir.resolve("results.csv"), run(1, x -> x));
        assertEquals(128, ResultSets.read(dir).size());
        assertEquals(128, ResultSets.read(dir.resolve("results.csv")).size());
        Files.writeString(dir.resolve("bad.csv"), "method,bits\nfp,fp32\n");
        GateInputException bad = assertThrows(GateInputException.class, () -> ResultSets.read(dir.resolve("bad.csv")));
        assertTrue(bad.getMessage().contains("bad.csv:1: bad header"), bad.getMessage());
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertTrue(assertThrows(GateInputException.class, () -> ResultSets.read(empty)).getMessage()
                .endsWith("empty: no results.csv or results.json in this directory"));
    }

    @Test
    void junitXmlIsWellFormedWithOneTestcasePerGroupAndDimension() throws Exception {
        Gate.Report r = Gate.compare(run(1, x -> x), run(2, x -> x - 0.08), TOL);
        String xml = JUnitXml.render(r, Map.of("baseline", "runs/<main> & \"old\"", "candidate", "b\u0001"));
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        Element suite = (Element) doc.getElementsByTagName("testsuite").item(0);
        assertEquals("4", suite.getAttribute("tests"));
        assertEquals("4", suite.getAttribute("failures"));
        NodeList cases = doc.getElementsByTagName("testcase");
        assertEquals(4, cases.getLength());
        Element first = (Element) cases.item(0);
        assertEquals("qvgen.gate.fp.fp32", first.getAttribute("classname"));
        assertEquals("dynamic_degree", first.getAttribute("name"));
        Element failure = (Element) first.getElementsByTagName("failure").item(0);
        assertTrue(failure.getAttribute("message").contains("REGRESSION"), failure.getAttribute("message"));
        NodeList props = doc.getElementsByTagName("property");
        String baseline = null;
        for (int i = 0; i < props.getLength(); i++) {
            Element p = (Element) props.item(i);
            if (p.getAttribute("name").equals("baseline")) {
                baseline = p.getAttribute("value");
            }
        }
        assertEquals("runs/<main> & \"old\"", baseline);

        Gate.Report pass = Gate.compare(run(1, x -> x), run(1, x -> x), TOL);
        Document ok = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new ByteArrayInputStream(
                JUnitXml.render(pass, Map.of()).getBytes(StandardCharsets.UTF_8)));
        assertEquals(0, ok.getElementsByTagName("failure").getLength());
        assertEquals("0", ((Element) ok.getElementsByTagName("testsuite").item(0)).getAttribute("failures"));
    }

    @Test
    void bootstrapIntervalCoversTheMeanAndNarrowsWithData() {
        double[] few = {0.1, -0.1, 0.2, -0.2};
        Bootstrap.Interval a = Bootstrap.meanInterval(few, 2000, 0.95, 1);
        assertTrue(a.low() < 0 && a.high() > 0);
        double[] many = new double[400];
        for (int i = 0; i < many.length; i++) {
            many[i] = few[i % 4];
        }
        Bootstrap.Interval b = Bootstrap.meanInterval(many, 2000, 0.95, 1);
        assertTrue(b.high() - b.low() < (a.high() - a.low()) / 5, a + " vs " + b);
        assertEquals(a, Bootstrap.meanInterval(few, 2000, 0.95, 1));
    }
}

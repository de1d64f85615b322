package dev.qvgen.suites.plan;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanParserTest {
    static final String GOOD = String.join("\n",
            "name: my-plan",
            "models: [toy-wan]",
            "methods: [fp, rtn]",
            "bits: [w4a4, w3a3]",
            "prompts:",
            "  suite: toy",
            "  limit: 3",
            "seeds: 2",
            "sampling:",
            "  steps: 20",
            "  guidance: 4",
            "");

    @Test
    void toySmokeIsTheIssuesPlan() {
        RunPlan p = Plans.builtIn(Plans.DEFAULT);
        assertEquals("toy-smoke", p.name());
        assertEquals(List.of("toy-wan"), p.models());
        assertEquals(List.of("fp", "rtn", "lsq", "qvgen"), p.methods());
        assertEquals(List.of("w4a4", "w3a3"), p.bits());
        assertEquals(PromptSpec.Suite.TOY, p.prompts().suite());
        assertEquals(2, p.seeds());
        assertEquals(List.of(new Sampling(20, 4.0, null)), p.sampling());
        // fp once + 3 methods x 2 bit widths = 7 arms; 32 prompts; 2 seeds.
        assertEquals(7 * 32 * 2, p.expand().size());
    }

    @Test
    void everyBuiltInPlanParses() {
        for (String name : Plans.BUILT_IN) {
            RunPlan p = Plans.builtIn(name);
            assertEquals(name, p.name(), name);
            assertFalse(p.description().isBlank(), name);
        }
    }

    @Test
    void paperPlansCoverEveryMethodAtBothBitWidths() {
        for (String model : List.of("cogvideox-2b", "cogvideox1.5-5b", "wan2.1-t2v-1.3b", "wan2.1-t2v-14b")) {
            RunPlan p = Plans.builtIn("paper-" + model);
            assertEquals(List.of(model), p.models());
            assertEquals(dev.qvgen.quantizer.Methods.paperNames(), p.methods());
            assertEquals(List.of("w4a4", "w3a3"), p.bits());
            assertEquals(PromptSpec.Suite.VBENCH_FULL, p.prompts().suite());
        }
    }

    @Test
    void readsAGoodPlan() {
        RunPlan p = PlanParser.parse(GOOD, "my.yaml", null);
        assertEquals("my-plan", p.name());
        assertEquals(3, p.prompts().limit());
        assertEquals("fp32", p.fpBits());
        assertEquals(List.of("toy-wan/s20-g4"), p.slices());
    }

    @Test
    void samplingMayBeAList() {
        RunPlan p = PlanParser.parse(GOOD.replace("sampling:\n  steps: 20\n  guidance: 4",
                "sampling:\n  - {steps: 20, guidance: 4}\n  - {steps: 10, guidance: 3.5, shift: 3}"), "my.yaml", null);
        assertEquals(List.of("toy-wan/s20-g4", "toy-wan/s10-g3.5-sh3"), p.slices());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "unknown top key      | seeds: 2                  | seed: 2                    | my.yaml:8: key 'seed': unknown key",
        "unknown method       | methods: [fp, rtn]        | methods: [fp, gptq]        | my.yaml:3: key 'methods': unknown method 'gptq'",
        "bad bits             | bits: [w4a4, w3a3]        | bits: [w4a4, 3bit]         | my.yaml:4: key 'bits': '3bit' is not a bit width",
        "unknown model        | models: [toy-wan]         | models: [sora]             | my.yaml:2: key 'models': unknown model 'sora'",
        "seeds not a number   | seeds: 2                  | seeds: two                 | my.yaml:8: key 'seeds': 'two' is not a whole number",
        "seeds zero           | seeds: 2                  | seeds: 0                   | my.yaml:8: key 'seeds': 0 is not in 1..1000",
        "unknown suite        | suite: toy                | suite: coco                | my.yaml:6: key 'prompts.suite': unknown suite 'coco'",
        "unknown prompt key   | limit: 3                  | limt: 3                    | my.yaml:7: key 'prompts.limt': unknown key",
        "negative guidance    | guidance: 4               | guidance: -1               | my.yaml:11: key 'sampling.guidance': -1.0 is negative",
        "steps missing        | steps: 20                 | shift: 3                   | my.yaml:10: key 'sampling.steps': missing",
        "repeated key         | seeds: 2                  | seeds: 2\\nseeds: 3          | my.yaml:9: key 'seeds': repeated key",
        "method twice         | methods: [fp, rtn]        | methods: [fp, rtn, rtn]    | my.yaml:3: key 'methods': 'rtn' listed twice",
        "list for a name      | name: my-plan             | name: [a, b]               | my.yaml:1: key 'name': expected a single value, found a list",
        "toy with path        | suite: toy                | suite: toy\\n  path: x.txt    | my.yaml:7: key 'prompts.path': the toy suite is built in and takes no path",
        "dimension for toy    | suite: toy                | suite: toy\\n  dimensions: [color] | my.yaml:7: key 'prompts.dimensions': only the vbench-* suites have dimensions",
    })
    void badValuesAreOneLineErrorsNamingFileAndKey(String what, String from, String to, String expected) {
        String text = GOOD.replace(from.strip(), to.strip().replace("\\n", "\n"));
        assertFalse(text.equals(GOOD), "test replaced nothing: " + what);
        PlanException e = assertThrows(PlanException.class, () -> PlanParser.parse(text, "my.yaml", null));
        assertTrue(e.getMessage().startsWith(expected), what + ": " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void missingKeyNamesIt() {
        PlanException e = assertThrows(PlanException.class,
                () -> PlanParser.parse(GOOD.replace("seeds: 2\n", ""), "my.yaml", null));
        assertEquals("my.yaml:1: key 'seeds': missing", e.getMessage());
    }

    @Test
    void quantizedMethodsNeedBits() {
        PlanException e = assertThrows(PlanException.class,
                () -> PlanParser.parse(GOOD.replace("bits: [w4a4, w3a3]\n", ""), "my.yaml", null));
        assertTrue(e.getMessage().startsWith("my.yaml:1: key 'bits': missing"), e.getMessage());
        // A full-precision-only plan needs none.
        RunPlan fp = PlanParser.parse(GOOD.replace("bits: [w4a4, w3a3]\n", "").replace("[fp, rtn]", "[fp]"),
                "my.yaml", null);
        assertEquals(List.of(), fp.bits());
    }

    @Test
    void brokenYamlNamesTheLine() {
        PlanException e = assertThrows(PlanException.class,
                () -> PlanParser.parse("name: x\nmodels: [toy-wan\nseeds: 2\n", "bad.yaml", null));
        assertTrue(e.getMessage().startsWith("bad.yaml:"), e.getMessage());
        assertTrue(e.getMessage().contains("not valid YAML"), e.getMessage());
        PlanException notMap = assertThrows(PlanException.class, () -> PlanParser.parse("- a\n- b\n", "l.yaml", null));
        assertTrue(notMap.getMessage().startsWith("l.yaml:1: a plan must be a mapping"), notMap.getMessage());
    }

    @Test
    void planFilesLoadByPathWithPromptsRelativeToTheFile(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("prompts.txt"), "# two prompts\na red ball\n\na blue cube\n");
        Path plan = dir.resolve("p.yaml");
        Files.writeString(plan, GOOD.replace("suite: toy\n  limit: 3", "suite: file\n  path: prompts.txt"));
        RunPlan p = Plans.load(plan.toString());
        List<PlanItem> items = p.expand();
        assertEquals(3 * 2 * 2, items.size());
        assertEquals("a blue cube", items.get(2).prompt().text());
        assertNull(p.prompts().dimensions().isEmpty() ? null : "dims");
    }

    @Test
    void unknownPlanNameListsTheBuiltIns() {
        PlanException e = assertThrows(PlanException.class, () -> Plans.load("toy-smok"));
        assertTrue(e.getMessage().startsWith("unknown plan 'toy-smok' (built-in: toy-smoke,"), e.getMessage());
        PlanException missing = assertThrows(PlanException.class, () -> Plans.load("no/such/plan.yaml"));
        assertEquals("no/such/plan.yaml: plan file not found", missing.getMessage());
    }
}

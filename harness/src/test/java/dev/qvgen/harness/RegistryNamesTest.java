package dev.qvgen.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.models.family.ModelFamilies;
import dev.qvgen.models.zoo.ModelRegistry;
import dev.qvgen.quantizer.Methods;
import dev.qvgen.reports.paper.PaperTable;
import dev.qvgen.suites.plan.PromptSuites;
import dev.qvgen.suites.plan.RunPlan;
import dev.qvgen.suites.vbench.VBenchDimensions;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One source for the names of methods, models and VBench dimensions: the plan parser, the reports
 * and the prompt suites read the registries, and no main source file of any module spells out a
 * second list of them.
 */
class RegistryNamesTest {
    /** Tests run in the repository root (they read ../shared beside it). */
    private static final Path ROOT = Path.of(".");
    private static final Pattern LIST = Pattern.compile("(List|Set|Map)\\.of\\(|Arrays\\.asList\\(");
    private static final Pattern QUOTED = Pattern.compile("\"([a-z0-9_.\\-]+)\"");

    /** The registry files, where the one list of each kind lives. */
    private static final Map<String, String> REGISTRY = Map.of(
            "methods", "quantizer/src/main/java/dev/qvgen/quantizer/Methods.java",
            "models", "models/src/main/java/dev/qvgen/models/zoo/ModelRegistry.java",
            "dimensions", "suites/src/main/java/dev/qvgen/suites/vbench/VBenchDimensions.java");

    @Test
    void consumersReadTheRegistries() {
        assertEquals(Methods.names(), RunPlan.KNOWN_METHODS);
        assertEquals(ModelRegistry.names(), RunPlan.KNOWN_MODELS);
        assertEquals(Methods.names(), PaperTable.METHOD_ORDER);
        assertEquals(VBenchDimensions.ALL, PaperTable.VBENCH_DIMENSIONS);
        assertEquals(VBenchDimensions.ALL, PromptSuites.VBENCH_DIMENSIONS);
        assertEquals("QVGen", PaperTable.methodName("qvgen"), "the table's label comes from the registry");
        // every registered model's family is a registered family
        ModelRegistry.all().forEach(m -> assertTrue(ModelFamilies.all().stream()
                .anyMatch(f -> f.pipelineClass().equals(m.pipelineClass())), m.name()));
    }

    @Test
    void noMainSourceHoldsASecondListOfNames() throws IOException {
        Map<String, List<String>> kinds = Map.of("methods", Methods.names(), "models", ModelRegistry.names(),
                "dimensions", VBenchDimensions.ALL);
        List<String> offenders = new ArrayList<>();
        List<Path> sources;
        try (Stream<Path> s = Files.walk(ROOT, 12)) {
            sources = s.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/java/")
                    && !p.toString().contains("/target/")).toList();
        }
        assertTrue(sources.size() > 100, "found the project's sources: " + sources.size());
        for (Path file : sources) {
            String text = Files.readString(file);
            String rel = ROOT.relativize(file).toString().replace('\\', '/');
            Matcher m = LIST.matcher(text);
            while (m.find()) {
                String body = balanced(text, m.end());
                Set<String> quoted = new HashSet<>();
                Matcher q = QUOTED.matcher(body);
                while (q.find()) {
                    quoted.add(q.group(1));
                }
                for (var kind : kinds.entrySet()) {
                    long hits = kind.getValue().stream().filter(quoted::contains).count();
                    // a selection (defaults, the toy's metrics) names a few; a copy names most of them
                    if (hits > kind.getValue().size() / 2 && !rel.equals(REGISTRY.get(kind.getKey()))) {
                        offenders.add(rel + ": a list of " + hits + " " + kind.getKey());
                    }
                }
            }
        }
        assertEquals(List.of(), offenders);
    }

    /** The text up to the parenthesis that closes the one before {@code from}. */
    private static String balanced(String s, int from) {
        int depth = 1;
        int j = from;
        while (depth > 0 && j < s.length()) {
            char c = s.charAt(j++);
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
        }
        return s.substring(from, j);
    }
}

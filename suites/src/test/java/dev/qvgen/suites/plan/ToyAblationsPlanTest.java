package dev.qvgen.suites.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.quantizer.Methods;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** The built-in plan toy-ablations: its arms are registered methods, and it covers every QVGen variant. */
class ToyAblationsPlanTest {
    @Test
    void parsesAndExpandsToTheAblationArms() {
        RunPlan p = Plans.load("toy-ablations");
        assertEquals("toy-ablations", p.name());
        List<String> arms = p.arms().stream().map(a -> a[0] + "-" + a[1]).toList();
        assertEquals(List.of("fp-fp32", "lsq-w4a4", "lsq-w3a3", "qvgen-no-decay-w4a4", "qvgen-no-decay-w3a3",
                "qvgen-w4a4", "qvgen-w3a3", "qvgen-fixed-rank-w4a4", "qvgen-fixed-rank-w3a3", "qvgen-magnitude-w4a4",
                "qvgen-magnitude-w3a3", "qvgen-keep25-w4a4", "qvgen-keep25-w3a3", "qvgen-keep75-w4a4",
                "qvgen-keep75-w3a3"), arms);
        p.methods().forEach(m -> assertTrue(Methods.names().contains(m), m + " is registered"));
        // every registered QVGen variant is an arm, so a new one is not left out of the study
        Set<String> variants = Methods.names().stream().filter(m -> m.startsWith("qvgen-")).collect(Collectors.toSet());
        assertTrue(p.methods().containsAll(variants), "missing: " + variants);
        List<PlanItem> items = p.expand();
        assertEquals(15 * 32 * 2, items.size(), "15 arms x 32 toy prompts x 2 seeds");
        assertEquals(items.size(), items.stream().map(PlanItem::id).distinct().count(), "unique item ids");
    }
}

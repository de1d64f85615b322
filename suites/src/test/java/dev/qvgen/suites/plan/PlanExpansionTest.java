package dev.qvgen.suites.plan;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanExpansionTest {
    static final PlanContext SHARED = new PlanContext(Path.of("../shared/suites/vbench"));

    @Test
    void orderIsModelSamplingArmPromptSeed() {
        List<PlanItem> items = Plans.builtIn("toy-smoke").expand();
        assertEquals("toy-wan/s20-g4/fp/p0000/s0", items.get(0).id());
        assertEquals("toy-wan/s20-g4/fp/p0000/s1", items.get(1).id());
        assertEquals("toy-wan/s20-g4/fp/p0001/s0", items.get(2).id());
        assertEquals("toy-wan/s20-g4/rtn-w4a4/p0000/s0", items.get(64).id());
        assertEquals("toy-wan/s20-g4/rtn-w3a3/p0000/s0", items.get(128).id());
        assertEquals("toy-wan/s20-g4/qvgen-w3a3/p0031/s1", items.get(items.size() - 1).id());
        for (int i = 0; i < items.size(); i++) {
            assertEquals(i, items.get(i).ordinal());
        }
        PlanItem fp = items.get(1);
        assertEquals("fp32", fp.bits());
        assertEquals("fp", fp.arm());
        assertEquals(1L, fp.seed());
        assertEquals(List.of(items.get(3).seed()), List.of(1001L), "prompt 1, sample 1: 1000 * 1 + 1");
        assertEquals(items.size(), new HashSet<>(items.stream().map(PlanItem::id).toList()).size(), "ids unique");
        assertEquals(items.size(), new HashSet<>(items.stream().map(PlanItem::resultKey).toList()).size(),
                "result keys unique within the (only) slice");
    }

    @Test
    void expansionIsDeterministicAndIdsDoNotDependOnPosition() {
        RunPlan p = Plans.builtIn("toy-smoke");
        assertEquals(p.expand(), p.expand());
        // Dropping a method moves items but does not rename them.
        RunPlan fewer = PlanParser.parse(Plans.builtInText("toy-smoke").replace("[fp, rtn, lsq, qvgen]", "[fp, qvgen]"),
                "x", null);
        Set<String> all = new HashSet<>(p.expand().stream().map(PlanItem::id).toList());
        List<PlanItem> sub = fewer.expand();
        assertTrue(sub.stream().allMatch(i -> all.contains(i.id())));
        PlanItem q = sub.stream().filter(i -> i.method().equals("qvgen")).findFirst().orElseThrow();
        PlanItem same = p.expand().stream().filter(i -> i.id().equals(q.id())).findFirst().orElseThrow();
        assertNotEquals(q.ordinal(), same.ordinal());
        assertEquals(q.seed(), same.seed());
    }

    @Test
    void vbenchFullReadsTheStandardPrompts() {
        RunPlan p = Plans.builtIn("vbench-full");
        List<PlanItem> items = p.expand(SHARED);
        // 946 prompts x 5 seeds x (fp + qvgen w4a4).
        assertEquals(946 * 5 * 2, items.size());
        PlanPrompt first = items.get(0).prompt();
        assertEquals("In a still frame, a stop sign", first.text());
        assertEquals(List.of("temporal_flickering"), first.dimensions());
        assertEquals("bf16", items.get(0).bits());
        assertEquals("wan2.1-t2v-1.3b/s50-g5/fp/p0000/s0", items.get(0).id());
    }

    @Test
    void dimensionFilterKeepsOriginalIndices() {
        String text = Plans.builtInText("vbench-full").replace("suite: vbench-full",
                "suite: vbench-full\n  dimensions: [dynamic_degree]\n  limit: 4");
        RunPlan p = PlanParser.parse(text, "x", null);
        List<PlanPrompt> prompts = p.expand(SHARED).stream().map(PlanItem::prompt).distinct().toList();
        assertEquals(4, prompts.size());
        assertTrue(prompts.stream().allMatch(pp -> pp.dimensions().contains("dynamic_degree")));
        assertTrue(prompts.get(0).index() > 0, "dynamic_degree prompts are not first in the file");
    }

    @Test
    void vbenchPerDimensionMapsFoldersToDimensions() {
        RunPlan p = Plans.builtIn("vbench-per-dimension");
        List<PlanPrompt> prompts = p.expand(SHARED).stream().map(PlanItem::prompt).distinct().toList();
        assertTrue(prompts.size() > 500, "distinct prompts: " + prompts.size());
        // subject_consistency.txt feeds three dimensions (VBench's dimension_to_folder.json).
        PlanPrompt subject = prompts.stream().filter(pp -> pp.dimensions().contains("subject_consistency"))
                .findFirst().orElseThrow();
        assertTrue(subject.dimensions().containsAll(List.of("motion_smoothness", "dynamic_degree")),
                subject.dimensions().toString());
        assertEquals(prompts.size(), prompts.stream().map(PlanPrompt::text).distinct().count());
    }

    @Test
    void missingVbenchDataIsAOneLineError(@TempDir Path empty) throws Exception {
        PlanContext nowhere = new PlanContext(empty);
        PlanException full = assertThrows(PlanException.class, () -> Plans.builtIn("vbench-full").expand(nowhere));
        assertEquals(empty.resolve("VBench_full_info.json") + ": prompt file not found", full.getMessage());
        PlanException per = assertThrows(PlanException.class,
                () -> Plans.builtIn("vbench-per-dimension").expand(nowhere));
        assertTrue(per.getMessage().startsWith(empty + ": no prompts_per_dimension/ directory"), per.getMessage());
        Files.writeString(empty.resolve("VBench_full_info.json"), "[{\"prompt_en\": \"x\", \"dimension\": [\"nope\"]}]");
        PlanException bad = assertThrows(PlanException.class, () -> Plans.builtIn("vbench-full").expand(nowhere));
        assertTrue(bad.getMessage().contains("entry 0: unknown dimension"), bad.getMessage());
    }

    @Test
    void manifestRoundTrips(@TempDir Path dir) throws Exception {
        RunPlan p = Plans.builtIn("toy-smoke");
        PlanManifest.write(dir, p, new Shard(2, 5));
        PlanManifest.Entry e = PlanManifest.read(dir);
        assertEquals(new Shard(2, 5), e.shard());
        assertEquals(p.toMap(), e.plan().toMap());
        assertEquals(p.expand(), e.plan().expand());
    }
}

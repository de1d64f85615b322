package dev.qvgen.suites.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.suites.toy.ToyPrompt;
import dev.qvgen.suites.toy.ToyPromptSuite;
import dev.qvgen.suites.toy.ToyScene;
import dev.qvgen.suites.toy.ToyWorld;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

/** The built-in plan toy-resolve: the default study's arms on the 128-prompt toy suite. */
class ToyResolvePlanTest {
    @Test
    void isToySmokeOnTheLargeSuite() {
        RunPlan smoke = Plans.load(Plans.DEFAULT);
        RunPlan p = Plans.load(Plans.TOY_RESOLVE);
        assertEquals(smoke.arms().stream().map(List::of).toList(), p.arms().stream().map(List::of).toList());
        List<PlanItem> items = p.expand();
        assertEquals(7 * 128 * 2, items.size(), "7 arms x 128 prompts x 2 seeds");
        assertEquals(items.size(), items.stream().map(PlanItem::id).distinct().count(), "unique item ids");
    }

    @Test
    void theLargeSuiteExtendsTheStandardOneWithNewPlaceableCaptions() {
        List<ToyPrompt> large = ToyPromptSuite.large();
        List<ToyPrompt> standard = ToyPromptSuite.standard();
        assertEquals(128, large.size());
        assertEquals(standard, large.subList(0, 32), "the standard 32 first");
        assertEquals(128, large.stream().map(ToyPrompt::caption).distinct().count(), "every caption once");
        long twoObjects = large.stream().filter(q -> q.scene().objects().size() == 2).count();
        assertTrue(twoObjects > 25 && twoObjects < 65, twoObjects + " of 128 with two objects (about a third)");
        ToyWorld world = ToyWorld.defaults();
        for (int i = 0; i < large.size(); i++) {
            ToyPrompt q = large.get(i);
            assertEquals(i, q.index());
            assertEquals(q.caption(), ToyScene.parse(q.caption()).caption(), "the caption parses back");
            world.placeScene(q.scene(), new Random(i)); // throws if it cannot be laid out
        }
        assertTrue(large == ToyPromptSuite.large() || large.equals(ToyPromptSuite.large()), "the same on every call");
    }
}

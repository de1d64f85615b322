package dev.qvgen.suites.plan;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShardTest {
    /** Every item in exactly one shard, shards contiguous and balanced, for every n up to 70 and many sizes. */
    @Test
    void everyItemInExactlyOneShardForAnyN() {
        for (int total : new int[] {0, 1, 2, 3, 7, 31, 64, 448, 1001}) {
            List<Integer> items = IntStream.range(0, total).boxed().toList();
            for (int n = 1; n <= 70; n++) {
                int[] seen = new int[total];
                List<Integer> order = new ArrayList<>();
                int min = Integer.MAX_VALUE;
                int max = 0;
                for (int i = 0; i < n; i++) {
                    Shard s = new Shard(i, n);
                    List<Integer> part = s.select(items);
                    min = Math.min(min, part.size());
                    max = Math.max(max, part.size());
                    for (int x : part) {
                        seen[x]++;
                        assertTrue(s.contains(x, total));
                    }
                    order.addAll(part);
                }
                for (int x = 0; x < total; x++) {
                    assertEquals(1, seen[x], "item " + x + " of " + total + " with n=" + n);
                }
                assertEquals(items, order, "shards in order concatenate to the plan, n=" + n);
                assertTrue(max - min <= 1, "balanced: " + min + ".." + max + " for " + total + "/" + n);
            }
        }
    }

    @Test
    void realPlanItemsSplitIntoDisjointShardsCoveringThePlan() {
        List<PlanItem> items = Plans.builtIn("toy-smoke").expand();
        for (int n : new int[] {1, 2, 3, 5, 8, 13, 100, items.size(), items.size() + 5}) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Shard.parse(i + "/" + n).select(items).forEach(it -> ids.add(it.id()));
            }
            assertEquals(items.stream().map(PlanItem::id).toList(), ids, "n=" + n);
        }
    }

    @Test
    void aShardTouchesFewArms() {
        List<PlanItem> items = Plans.builtIn("toy-smoke").expand();
        // 7 arms of 64 items in 4 shards of 112: each shard spans at most 3 arms.
        for (int i = 0; i < 4; i++) {
            var arms = PlanItems.byArm(new Shard(i, 4).select(items));
            assertTrue(arms.size() <= 3, arms.keySet().toString());
            assertEquals(112, arms.values().stream().mapToInt(List::size).sum());
        }
        var all = PlanItems.byArm(items);
        assertEquals(List.of("fp", "rtn-w4a4", "rtn-w3a3", "lsq-w4a4", "lsq-w3a3", "qvgen-w4a4", "qvgen-w3a3"),
                all.keySet().stream().map(PlanItems.Arm::key).toList());
    }

    @Test
    void parsesAndRejects() {
        assertEquals(new Shard(3, 8), Shard.parse("3/8"));
        assertEquals(new Shard(0, 1), Shard.parse(" 0 / 1 "));
        assertEquals("3/8", new Shard(3, 8).toString());
        for (String bad : new String[] {"8/8", "1/0", "-1/4", "a/b", "3", "", "1/2/3"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shard.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("bad shard"), e.getMessage());
        }
    }
}

package dev.qvgen.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.qvgen.reports.ResultRow;
import dev.qvgen.reports.ResultsCsv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A plan run in shards and merged equals the same plan run whole, video bytes included. */
class ShardedReproduceTest {
    @Test
    void shardsMergeIntoTheUnshardedRun(@TempDir Path tmp) throws Exception {
        Path prompts = tmp.resolve("prompts.txt");
        Files.writeString(prompts, "a red circle moves left slowly\na blue square moves up quickly\n"
                + "a green triangle moves right slowly\n");
        String[] common = {"--methods", "fp,rtn", "--bits", "w3a3", "--seeds", "1", "--steps", "3", "--prompts",
            prompts.toString(), "--batch", "2", "--threads", "1"};
        assertEquals(0, run("reproduce", "--out", tmp.resolve("whole").toString(), common));
        List<String> shardDirs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Path d = tmp.resolve("shard-" + i);
            shardDirs.add(d.toString());
            assertEquals(0, run("reproduce", "--out", d.toString(), concat(new String[] {"--shard", i + "/4"}, common)));
        }
        List<String> merge = new ArrayList<>(List.of("merge", "--out", tmp.resolve("merged").toString()));
        merge.addAll(shardDirs);
        assertEquals(0, Main.run(merge.toArray(String[]::new)));

        List<ResultRow> whole = sorted(ResultsCsv.read(tmp.resolve("whole/results.csv")));
        List<ResultRow> merged = sorted(ResultsCsv.read(tmp.resolve("merged/results.csv")));
        assertEquals(whole, merged);
        for (ResultRow r : whole) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("whole").resolve(r.video())),
                    Files.readAllBytes(tmp.resolve("merged").resolve(r.video())), r.video());
        }
        // A missing shard is a gap: exit 2.
        assertEquals(2, Main.run("merge", "--out", tmp.resolve("gap").toString(), shardDirs.get(0), shardDirs.get(1)));
    }

    private static int run(String cmd, String flag, String value, String... rest) {
        List<String> a = new ArrayList<>(List.of(cmd, flag, value));
        a.addAll(List.of(rest));
        return Main.run(a.toArray(String[]::new));
    }

    private static String[] concat(String[] a, String[] b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static List<ResultRow> sorted(List<ResultRow> rows) {
        List<ResultRow> r = new ArrayList<>(rows);
        r.sort(Comparator.comparing(ResultRow::method).thenComparing(ResultRow::bits)
                .thenComparingInt(ResultRow::promptIndex).thenComparingLong(ResultRow::seed));
        return r;
    }
}

package dev.qvgen.harness.dist;

import static dev.qvgen.harness.dist.QatRanks.WAN;
import static dev.qvgen.harness.dist.QatRanks.assertBitIdentical;
import static dev.qvgen.harness.dist.QatRanks.compare;
import static dev.qvgen.harness.dist.QatRanks.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.harness.CliRun;
import dev.qvgen.harness.study.QatArm;
import dev.qvgen.layers.io.SafeTensorsFile;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Weight-sharded (ZeRO-3 / FSDP style) data-parallel QVGen W4A4 QAT of the tiny golden Wan2.1 on
 * the CPU: two ranks with {@code --shard-weights}, launched as two JVMs, against one rank with
 * the same global batch; what each rank holds between steps, read from its arrays; and resumes
 * across world sizes, 2 -> 1 from the sharded checkpoint and 1 -> 2 into a sharded run.
 */
class WeightShardedQatTest {
    private static final Pattern HELD = Pattern.compile("rank (\\d) step (\\d+): holds (\\d+) of (\\d+) bytes of "
            + "trained tensors \\([0-9.]+\\), at most (\\d+) during the step \\(design bound (\\d+)\\)");

    @TempDir
    Path tmp;

    private static String[] qat(Path data, Path out, String... more) {
        // 3 steps of 2 micro-batches (one per rank on two ranks), a checkpoint after step 2
        List<String> a = new ArrayList<>(List.of("qat", "--pipeline-dir", WAN.toString(), "--data", data.toString(),
                "--method", "qvgen", "--bits", "w4a4", "--steps", "3", "--batch", "1", "--grad-accum", "2",
                "--checkpoint-every", "2", "--out", out.toString()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void shardedWeightsTrainLikeOneRankHoldHalfAndResumeAcrossWorldSizes() throws Exception {
        QatRanks.ensureBuilt();
        Path data = QatRanks.prepare(tmp);

        long t0 = System.nanoTime();
        Path one = tmp.resolve("one");
        CliRun single = CliRun.of(qat(data, one));
        assertEquals(0, single.code(), single.out() + single.err());
        long t1 = System.nanoTime();
        Path two = tmp.resolve("two");
        List<String> outs = QatRanks.launch(tmp, 2, qat(data, two, "--shard-weights"));
        long t2 = System.nanoTime();
        assertTrue(outs.get(0).contains("weight sharding over 2 ranks"), outs.get(0));
        System.out.printf(Locale.ROOT, "one rank %.1f s, two weight-sharded ranks (two JVMs) %.1f s%n",
                (t1 - t0) / 1e9, (t2 - t1) / 1e9);

        // each rank's shard holds its trained tensors and moments; state.safetensors the metadata only
        try (Stream<Path> files = Files.list(two)) {
            assertEquals(List.of("log.csv", QatArm.EXPORT, "state.safetensors",
                    "state.step-2.shard-0-of-2.safetensors", "state.step-2.shard-1-of-2.safetensors"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        try (SafeTensorsFile head = SafeTensorsFile.open(two.resolve("state.safetensors"))) {
            assertTrue(head.names().isEmpty(), "tensors in state.safetensors: " + head.names());
            assertEquals("2", head.metadata().get("weights.shards"));
        }
        List<Path> shards = List.of(two.resolve("state.safetensors"),
                two.resolve("state.step-2.shard-0-of-2.safetensors"), two.resolve("state.step-2.shard-1-of-2.safetensors"));
        Map<String, double[]> ckpt = compare(one.resolve("state.safetensors"), shards);
        report("checkpoint at step 2, 1 rank vs 2 weight-sharded ranks (shards together)", ckpt);
        Map<String, double[]> export = compare(one.resolve(QatArm.EXPORT), List.of(two.resolve(QatArm.EXPORT)));
        report("export after step 3, 1 rank vs 2 weight-sharded ranks", export);
        assertBitIdentical(ckpt);
        assertBitIdentical(export);
        assertHoldHalf(outs);

        // 2 -> 1: the weight-sharded checkpoint resumed on one rank (the same command: the flag is a no-op there)
        Path to1 = QatRanks.copy(two, tmp.resolve("two-to-one"), n -> !n.equals(QatArm.EXPORT));
        CliRun resumed = CliRun.of(qat(data, to1, "--shard-weights"));
        assertEquals(0, resumed.code(), resumed.out() + resumed.err());
        assertTrue(resumed.out().contains("resumed from step 2"), resumed.out());
        Map<String, double[]> r21 = compare(one.resolve(QatArm.EXPORT), List.of(to1.resolve(QatArm.EXPORT)));
        report("export: 2 sharded ranks to step 2, resumed on 1 rank to 3, vs 1 rank throughout", r21);
        assertBitIdentical(r21);

        // 1 -> 2: the one-rank checkpoint (step 2) resumed on two weight-sharded ranks
        Path to2 = QatRanks.copy(one, tmp.resolve("one-to-two"), n -> !n.equals(QatArm.EXPORT));
        List<String> outs2 = QatRanks.launch(tmp, 2, qat(data, to2, "--shard-weights"));
        assertTrue(outs2.get(1).contains("resumed from step 2"), outs2.get(1));
        Map<String, double[]> r12 = compare(one.resolve(QatArm.EXPORT), List.of(to2.resolve(QatArm.EXPORT)));
        report("export: 1 rank to step 2, resumed on 2 sharded ranks to 3, vs 1 rank throughout", r12);
        assertBitIdentical(r12);
        assertHoldHalf(outs2);
    }

    /**
     * Between steps each rank holds its own arrays only: together exactly all of them, each about
     * half (whole arrays, so within the largest array of a half); during a step never more than
     * its share plus the entry/exit layers and one block (or all of Φ, for its rank decay).
     */
    private static void assertHoldHalf(List<String> outs) {
        long[] total = new long[1];
        Map<Integer, long[]> byStep = new java.util.TreeMap<>();
        for (String out : outs) {
            Matcher m = HELD.matcher(out);
            int lines = 0;
            while (m.find()) {
                lines++;
                int step = Integer.parseInt(m.group(2));
                long held = Long.parseLong(m.group(3));
                total[0] = Long.parseLong(m.group(4));
                long peak = Long.parseLong(m.group(5));
                long bound = Long.parseLong(m.group(6));
                byStep.computeIfAbsent(step, s -> new long[1])[0] += held;
                double share = held / (double) total[0];
                System.out.printf(Locale.ROOT, "rank %s step %d: holds %d of %d bytes (%.3f), peak %d (bound %d)%n",
                        m.group(1), step, held, total[0], share, peak, bound);
                assertTrue(share > 0.35 && share < 0.65, "rank " + m.group(1) + " holds " + share + " of the total");
                assertTrue(peak <= bound, "peak " + peak + " over the design bound " + bound);
                assertTrue(peak < total[0], "peak " + peak + ": everything was materialised at once");
            }
            assertTrue(lines > 0, out);
        }
        byStep.forEach((step, sum) -> assertEquals(total[0], sum[0], "step " + step + ": the ranks' shares sum to "
                + sum[0]));
    }

    @Test
    void misuseIsOneLineAndExitTwo() {
        Path data = tmp.resolve("none");
        CliRun noCheckpointing = CliRun.of(qat(data, tmp.resolve("a"), "--shard-weights",
                "--no-activation-checkpointing"));
        assertEquals(2, noCheckpointing.code(), noCheckpointing.out() + noCheckpointing.err());
        assertTrue(noCheckpointing.err().contains("--shard-weights gathers each block's weights"),
                noCheckpointing.err());
        assertEquals(1, noCheckpointing.err().lines().filter(l -> !l.isBlank()).count(), noCheckpointing.err());
        String[] lora = qat(data, tmp.resolve("b"), "--shard-weights");
        lora[6] = "efficientdm";
        CliRun efficientdm = CliRun.of(lora);
        assertEquals(2, efficientdm.code(), efficientdm.out() + efficientdm.err());
        assertTrue(efficientdm.err().contains("efficientdm freezes them"), efficientdm.err());
        assertEquals(1, efficientdm.err().lines().filter(l -> !l.isBlank()).count(), efficientdm.err());
    }
}

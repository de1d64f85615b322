package dev.qvgen.harness.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;


import dev.qvgen.harness.CliRun;
import dev.qvgen.harness.study.QatArm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Data-parallel QVGen W4A4 QAT of the tiny golden Wan2.1 on the CPU: two ranks, launched as a
 * cluster launches them (two JVMs running {@code qvgen qat} with RANK, WORLD_SIZE, MASTER_ADDR,
 * MASTER_PORT), against one rank with the same global batch; then the two-rank checkpoint resumed
 * on one rank.
 */
class DataParallelQatTest {
    @TempDir
    Path tmp;

    private String[] qat(Path pipeline, Path data, Path out) {
        // 3 steps of 2 micro-batches (one per rank on two ranks), a checkpoint after step 2
        return new String[] {"qat", "--pipeline-dir", pipeline.toString(), "--data", data.toString(), "--method",
            "qvgen", "--bits", "w4a4", "--steps", "3", "--batch", "1", "--grad-accum", "2", "--checkpoint-every",
            "2", "--out", out.toString()};
    }

    @Test
    void twoRanksTrainLikeOneAndResumeOnOne() throws Exception {
        QatRanks.ensureBuilt();
        Path pipeline = QatRanks.WAN;
        Path data = QatRanks.prepare(tmp);

        long t0 = System.nanoTime();
        Path one = tmp.resolve("one");
        CliRun single = CliRun.of(qat(pipeline, data, one));
        assertEquals(0, single.code(), single.out() + single.err());
        long t1 = System.nanoTime();

        Path two = tmp.resolve("two");
        List<String> outs = QatRanks.launch(tmp, 2, qat(pipeline, data, two));
        long t2 = System.nanoTime();
        assertTrue(outs.get(0).contains("qat: rank 0 of 2"), outs.get(0));
        assertTrue(outs.get(1).contains("rank 0 writes"), outs.get(1));
        System.out.printf(Locale.ROOT, "one rank %.1f s, two ranks (two JVMs) %.1f s%n", (t1 - t0) / 1e9,
                (t2 - t1) / 1e9);

        // each rank wrote its shard of the moments, rank 0 the trained tensors, the log and the export
        try (Stream<Path> files = Files.list(two)) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("log.csv", QatArm.EXPORT, "state.safetensors",
                    "state.step-2.shard-0-of-2.safetensors", "state.step-2.shard-1-of-2.safetensors"), names);
        }
        assertEquals(4, Files.readAllLines(two.resolve("log.csv")).size(), "header and 3 steps, once");

        // every trained tensor at the checkpoint (step 2), and the moments (the shards together)
        Map<String, double[]> diff = QatRanks.compare(one.resolve("state.safetensors"),
                List.of(two.resolve("state.safetensors"), two.resolve("state.step-2.shard-0-of-2.safetensors"),
                        two.resolve("state.step-2.shard-1-of-2.safetensors")));
        QatRanks.report("checkpoint at step 2, 1 rank vs 2 ranks", diff);
        // the packed export after step 3: same single-file format, same tensors
        Map<String, double[]> export = QatRanks.compare(one.resolve(QatArm.EXPORT), List.of(two.resolve(QatArm.EXPORT)));
        QatRanks.report("export after step 3, 1 rank vs 2 ranks", export);
        QatRanks.assertBitIdentical(diff);
        QatRanks.assertBitIdentical(export);

        // resume the two-rank checkpoint on one rank: the export equals the uninterrupted run's
        Path resumed = tmp.resolve("resumed");
        Files.createDirectories(resumed);
        try (Stream<Path> files = Files.list(two)) {
            for (Path p : files.toList()) {
                if (!p.getFileName().toString().equals(QatArm.EXPORT)) {
                    Files.copy(p, resumed.resolve(p.getFileName()));
                }
            }
        }
        CliRun again = CliRun.of(qat(pipeline, data, resumed));
        assertEquals(0, again.code(), again.out() + again.err());
        assertTrue(again.out().contains("resumed from step 2"), again.out());
        Map<String, double[]> r = QatRanks.compare(one.resolve(QatArm.EXPORT), List.of(resumed.resolve(QatArm.EXPORT)));
        QatRanks.report("export: 2 ranks to step 2, resumed on 1 rank to 3, vs 1 rank throughout", r);
        QatRanks.assertBitIdentical(r);
    }

    @Test
    void missingBindingIsOneLineAndExitTwo() throws Exception {
        Path pipeline = QatRanks.WAN;
        ProcessBuilder pb = new ProcessBuilder(QatRanks.javaCommand("qat", "--pipeline-dir", pipeline.toString(), "--data",
                tmp.resolve("none").toString(), "--method", "qvgen", "--bits", "w4a4", "--steps", "1", "--grad-accum",
                "2", "--out", tmp.resolve("x").toString()));
        pb.environment().putAll(Map.of("RANK", "1", "WORLD_SIZE", "2", "MASTER_ADDR", "127.0.0.1", "MASTER_PORT",
                "29999", "QVGEN_C10D_LIB", tmp.resolve("nowhere/libqvgen_c10d.so").toString()));
        Files.createDirectories(tmp.resolve("none"));
        Process p = pb.redirectErrorStream(false).start();
        String err = new String(p.getErrorStream().readAllBytes());
        p.getInputStream().readAllBytes();
        assertEquals(2, p.waitFor(), err);
        assertTrue(err.contains("nowhere/libqvgen_c10d.so does not exist: run layers/src/main/native/c10d/build.sh"),
                err);
        assertEquals(1, err.lines().filter(l -> !l.isBlank()).count(), err);
    }
}

package dev.qvgen.harness.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.harness.CliRun;
import dev.qvgen.harness.study.QatArm;
import dev.qvgen.layers.dist.C10dGroup;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.suites.toy.ToyScene;
import dev.qvgen.suites.toy.ToyWorld;
import dev.qvgen.video.Mp4Writer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Data-parallel QVGen W4A4 QAT of the tiny golden Wan2.1 on the CPU: two ranks, launched as a
 * cluster launches them (two JVMs running {@code qvgen qat} with RANK, WORLD_SIZE, MASTER_ADDR,
 * MASTER_PORT), against one rank with the same global batch; then the two-rank checkpoint resumed
 * on one rank.
 */
class DataParallelQatTest {
    static final Path GOLDEN = Path.of("../shared/fixtures/golden");
    static final String[] CAPTIONS = {"a red circle moves left slowly", "a blue square moves up quickly",
        "a green triangle moves right slowly"};

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
        ensureBuilt();
        Path pipeline = GOLDEN.resolve("wan2.1/pipeline");
        Path data = prepare(pipeline);

        long t0 = System.nanoTime();
        Path one = tmp.resolve("one");
        CliRun single = CliRun.of(qat(pipeline, data, one));
        assertEquals(0, single.code(), single.out() + single.err());
        long t1 = System.nanoTime();

        Path two = tmp.resolve("two");
        List<String> outs = launch(2, qat(pipeline, data, two));
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
        Map<String, double[]> diff = compare(one.resolve("state.safetensors"),
                List.of(two.resolve("state.safetensors"), two.resolve("state.step-2.shard-0-of-2.safetensors"),
                        two.resolve("state.step-2.shard-1-of-2.safetensors")));
        report("checkpoint at step 2, 1 rank vs 2 ranks", diff);
        // the packed export after step 3: same single-file format, same tensors
        Map<String, double[]> export = compare(one.resolve(QatArm.EXPORT), List.of(two.resolve(QatArm.EXPORT)));
        report("export after step 3, 1 rank vs 2 ranks", export);
        assertBitIdentical(diff);
        assertBitIdentical(export);

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
        Map<String, double[]> r = compare(one.resolve(QatArm.EXPORT), List.of(resumed.resolve(QatArm.EXPORT)));
        report("export: 2 ranks to step 2, resumed on 1 rank to 3, vs 1 rank throughout", r);
        assertBitIdentical(r);
    }

    @Test
    void missingBindingIsOneLineAndExitTwo() throws Exception {
        Path pipeline = GOLDEN.resolve("wan2.1/pipeline");
        ProcessBuilder pb = new ProcessBuilder(javaCommand("qat", "--pipeline-dir", pipeline.toString(), "--data",
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

    /**
     * Bit-identical: with one micro-batch per rank, rank 1's gradient is added to rank 0's once by
     * gloo (a + b, as autograd adds the second micro-batch to the first), the norm's per-array
     * sums come from the owner alone, and every update is the owner's, broadcast as is.
     */
    private static void assertBitIdentical(Map<String, double[]> diff) {
        diff.forEach((name, d) -> assertEquals(0.0, d[0], name + ": rel L2 " + d[1] + ", max abs " + d[0]));
    }

    private static void report(String what, Map<String, double[]> diff) {
        double maxAbs = diff.values().stream().mapToDouble(d -> d[0]).max().orElse(0);
        double maxRel = diff.values().stream().mapToDouble(d -> d[1]).max().orElse(0);
        long identical = diff.values().stream().filter(d -> d[0] == 0).count();
        System.out.printf(Locale.ROOT, "%s: %d tensors, %d bit-identical, max abs %.3g, max rel L2 %.3g%n", what,
                diff.size(), identical, maxAbs, maxRel);
    }

    /** Per tensor of {@code reference}: max abs and relative L2 difference to the same name in {@code others}. */
    private static Map<String, double[]> compare(Path reference, List<Path> others) {
        Map<String, double[]> out = new TreeMap<>();
        try (NDManager m = NDManager.newBaseManager(); SafeTensorsFile ref = SafeTensorsFile.open(reference)) {
            List<SafeTensorsFile> os = new ArrayList<>();
            try {
                for (Path p : others) {
                    os.add(SafeTensorsFile.open(p));
                }
                for (String n : ref.names()) {
                    SafeTensorsFile o = os.stream().filter(f -> f.names().contains(n)).findFirst()
                            .orElseThrow(() -> new AssertionError(n + " of " + reference + " is in none of " + others));
                    NDArray a = ref.load(n, m).toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
                    NDArray b = o.load(n, m).toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
                    assertEquals(a.getShape(), b.getShape(), n);
                    double maxAbs = a.size() == 0 ? 0 : a.sub(b).abs().max().getDouble();
                    double norm = a.norm().getDouble();
                    double rel = norm == 0 ? maxAbs : a.sub(b).norm().getDouble() / norm;
                    out.put(n, new double[] {maxAbs, rel});
                }
                int total = os.stream().mapToInt(f -> f.names().size()).sum();
                assertEquals(ref.names().size(), total, "the same tensors, no more: " + others);
            } finally {
                os.forEach(SafeTensorsFile::close);
            }
        }
        return out;
    }

    /** Runs {@code args} as ranks 0..world-1 in JVMs of their own, as torchrun would; their outputs. */
    private List<String> launch(int world, String... args) throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<Process> ps = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            ProcessBuilder pb = new ProcessBuilder(javaCommand(args)).redirectErrorStream(true)
                    .redirectOutput(tmp.resolve("rank" + r + ".log").toFile());
            pb.environment().putAll(Map.of("RANK", String.valueOf(r), "WORLD_SIZE", String.valueOf(world),
                    "LOCAL_RANK", String.valueOf(r), "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", String.valueOf(port)));
            ps.add(pb.start());
        }
        List<String> outs = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            int code = ps.get(r).waitFor();
            String out = Files.readString(tmp.resolve("rank" + r + ".log"));
            assertEquals(0, code, "rank " + r + ": " + out);
            assertFalse(out.contains("hs_err"), out);
            outs.add(out);
        }
        return outs;
    }

    /** CI's .ci/run builds the binding first; a checkout that has not is built here. */
    private static void ensureBuilt() throws Exception {
        if (!Files.isRegularFile(C10dGroup.libraryPath())) {
            Process p = new ProcessBuilder("bash", C10dGroup.BUILD_SCRIPT).inheritIO().start();
            assertEquals(0, p.waitFor(), C10dGroup.BUILD_SCRIPT + " failed");
        }
    }

    private static List<String> javaCommand(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g", "-cp", System.getProperty("java.class.path"), "dev.qvgen.harness.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private Path prepare(Path pipeline) throws IOException {
        Path clips = tmp.resolve("clips");
        Files.createDirectories(clips);
        ToyWorld world = new ToyWorld(10, 48, 64, 8);
        for (int i = 0; i < CAPTIONS.length; i++) {
            Mp4Writer.write(clips.resolve("clip" + i + ".mp4"),
                    world.render(world.placeScene(ToyScene.parse(CAPTIONS[i]), new Random(i))), 8);
            Files.writeString(clips.resolve("clip" + i + ".txt"), CAPTIONS[i] + "\n");
        }
        Path data = tmp.resolve("data");
        CliRun prep = CliRun.of("data", "prepare", "--pipeline-dir", pipeline.toString(), "--videos", clips.toString(),
                "--out", data.toString(), "--frames", "5", "--height", "32", "--width", "48", "--max-sequence-length",
                "16");
        assertEquals(0, prep.code(), prep.out() + prep.err());
        return data;
    }
}

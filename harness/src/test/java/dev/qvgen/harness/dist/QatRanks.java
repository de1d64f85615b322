package dev.qvgen.harness.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.layers.dist.C10dGroup;
import dev.qvgen.layers.io.SafeTensorsFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Data-parallel QAT runs for tests: ranks launched as a cluster launches them (JVMs of their own
 * with torchrun's variables), tiny training data, and tensor-by-tensor comparisons of outputs.
 */
final class QatRanks {
    static final Path GOLDEN = Path.of("../shared/fixtures/golden");
    static final Path WAN = GOLDEN.resolve("wan2.1/pipeline");

    private QatRanks() {}

    /** CI's .ci/run builds the binding first; a checkout that has not is built here. */
    static void ensureBuilt() throws Exception {
        if (!Files.isRegularFile(C10dGroup.libraryPath())) {
            Process p = new ProcessBuilder("bash", C10dGroup.BUILD_SCRIPT).inheritIO().start();
            assertEquals(0, p.waitFor(), C10dGroup.BUILD_SCRIPT + " failed");
        }
    }

    /** Runs {@code args} as ranks 0..world-1 in JVMs of their own, as torchrun would; their outputs. */
    static List<String> launch(Path logs, int world, String... args) throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<Process> ps = new ArrayList<>();
        String tag = Long.toString(System.nanoTime());
        for (int r = 0; r < world; r++) {
            ProcessBuilder pb = new ProcessBuilder(javaCommand(args)).redirectErrorStream(true)
                    .redirectOutput(logs.resolve("rank" + r + "-" + tag + ".log").toFile());
            pb.environment().putAll(Map.of("RANK", String.valueOf(r), "WORLD_SIZE", String.valueOf(world),
                    "LOCAL_RANK", String.valueOf(r), "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", String.valueOf(port)));
            ps.add(pb.start());
        }
        List<String> outs = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            int code = ps.get(r).waitFor();
            String out = Files.readString(logs.resolve("rank" + r + "-" + tag + ".log"));
            assertEquals(0, code, "rank " + r + ": " + out);
            assertFalse(out.contains("hs_err"), out);
            outs.add(out);
        }
        return outs;
    }

    static List<String> javaCommand(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g", "-cp", System.getProperty("java.class.path"), "dev.qvgen.harness.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Three toy clips encoded by `qvgen data prepare` with the tiny Wan2.1 pipeline, under {@code tmp}. */
    static Path prepare(Path tmp) throws IOException {
        return dev.qvgen.harness.ToyClips.prepare(WAN, tmp.resolve("clips"), tmp.resolve("data"));
    }

    /** Copies the files of {@code from} that {@code keep} accepts into a new directory {@code to}. */
    static Path copy(Path from, Path to, Predicate<String> keep) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path p : files.toList()) {
                if (keep.test(p.getFileName().toString())) {
                    Files.copy(p, to.resolve(p.getFileName()));
                }
            }
        }
        return to;
    }

    /**
     * Per tensor of {@code reference}: max abs and relative L2 difference to the same name in
     * {@code others}, which together must hold exactly the reference's tensors.
     */
    static Map<String, double[]> compare(Path reference, List<Path> others) {
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

    /**
     * Bit-identical: with one micro-batch per rank, rank 1's gradient is added to rank 0's once by
     * gloo (a + b, as autograd adds the second micro-batch to the first), the norm's per-array
     * sums come from the owner alone, and every update is the owner's, broadcast as is.
     */
    static void assertBitIdentical(Map<String, double[]> diff) {
        diff.forEach((name, d) -> assertEquals(0.0, d[0], name + ": rel L2 " + d[1] + ", max abs " + d[0]));
    }

    static void report(String what, Map<String, double[]> diff) {
        double maxAbs = diff.values().stream().mapToDouble(d -> d[0]).max().orElse(0);
        double maxRel = diff.values().stream().mapToDouble(d -> d[1]).max().orElse(0);
        long identical = diff.values().stream().filter(d -> d[0] == 0).count();
        System.out.printf(Locale.ROOT, "%s: %d tensors, %d bit-identical, max abs %.3g, max rel L2 %.3g%n", what,
                diff.size(), identical, maxAbs, maxRel);
    }
}

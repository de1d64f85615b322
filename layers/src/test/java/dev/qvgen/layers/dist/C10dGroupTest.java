package dev.qvgen.layers.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;

/**
 * c10d's gloo collectives through libqvgen_c10d.so, two ranks as two threads of this JVM on a
 * localhost TCPStore; Debian's libtorch 1.13 beside DJL's 2.7.1 in one process.
 */
class C10dGroupTest {
    @BeforeAll
    static void build() throws Exception {
        C10dBinding.ensureBuilt();
    }

    /** Runs {@code body(group, manager)} on ranks 0 and 1 at once; their results by rank. */
    private static <T> List<T> twoRanks(BiFunction<ProcessGroup, NDManager, T> body) throws Exception {
        int port = C10dBinding.freePort();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<T>> f = List.of(0, 1).stream().map(r -> pool.submit(() -> {
                DistEnv env = new DistEnv(r, 2, r, "127.0.0.1", port);
                try (ProcessGroup g = env.openGroup(Duration.ofSeconds(30)); NDManager m = NDManager.newBaseManager()) {
                    return body.apply(g, m);
                }
            })).toList();
            return List.of(f.get(0).get(), f.get(1).get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void collectivesOfTwoRanks() throws Exception {
        List<float[][]> out = twoRanks((g, m) -> {
            int r = g.rank();
            NDArray sum = m.create(new float[] {1 + r, 10 * (r + 1), -r}, new Shape(3));
            g.allReduceSum(sum);
            NDArray reduced = m.create(new float[] {r + 0.5f, 2}, new Shape(2));
            g.reduceSum(reduced, 1);
            NDArray bcast = m.arange(6f).reshape(2, 3).mul(r + 1);
            g.broadcast(bcast, 1);
            double[] d = {r + 0.25, 1e-300 * (r + 1)};
            g.allReduceSum(d);
            g.barrier();
            float[] dd = {(float) d[0], (float) (d[1] / 1e-300)};
            return new float[][] {sum.toFloatArray(), reduced.toFloatArray(), bcast.toFloatArray(), dd};
        });
        for (int r = 0; r < 2; r++) {
            assertArrayEquals(new float[] {3, 30, -1}, out.get(r)[0], "allreduce on rank " + r);
            assertArrayEquals(new float[] {0, 2, 4, 6, 8, 10}, out.get(r)[2], "broadcast from rank 1 on rank " + r);
            // float64 survives: 1e-300 would be 0 in float32
            assertArrayEquals(new float[] {1.5f, 3f}, out.get(r)[3], "double allreduce on rank " + r);
        }
        assertArrayEquals(new float[] {2f, 4f}, out.get(1)[1], "reduce to rank 1");
    }

    @Test
    void djlKeepsWorkingBesideDebiansLibtorch() throws Exception {
        String version = C10dGroup.binding();
        assertTrue(version.startsWith("libtorch 1.13") || version.contains("same-libtorch"), version);
        // a collective first, so that gloo's threads run beside DJL's below
        twoRanks((g, m) -> {
            g.allReduceSum(m.ones(new Shape(1000)));
            return 0;
        });
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.randomNormal(new Shape(64, 64));
            a.setRequiresGradient(true);
            try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                gc.backward(a.matMul(a.transpose()).sum());
            }
            // d/da sum(a a^T) = 2 * (column sums of a) broadcast along the rows
            NDArray expected = a.sum(new int[] {0}, true).mul(2).broadcast(new Shape(64, 64));
            assertTrue(a.getGradient().sub(expected).abs().max().getFloat() < 1e-3f);
        }
        List<String> files = Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .map(l -> l.substring(l.lastIndexOf(' ') + 1)).distinct().toList();
        if (version.startsWith("libtorch 1.13")) {
            assertTrue(files.stream().anyMatch(f -> f.endsWith("libtorch_cpu.so.1.13.0")), "Debian's libtorch mapped");
        }
        assertTrue(files.stream().anyMatch(f -> f.endsWith("/libtorch_cpu.so")),
                "DJL's libtorch mapped");
    }

    @Test
    void worldOfOneNeedsNoLibraryAndBadEnvironmentIsOneLine() {
        assertEquals(LocalGroup.INSTANCE, DistEnv.from(Map.of()).openGroup(Duration.ofSeconds(1)));
        assertEquals(LocalGroup.INSTANCE, DistEnv.from(Map.of("WORLD_SIZE", "1")).openGroup(Duration.ofSeconds(1)));
        DistException e = assertThrows(DistException.class, () -> DistEnv.from(Map.of("WORLD_SIZE", "2", "RANK", "2",
                "MASTER_ADDR", "h", "MASTER_PORT", "1")));
        assertEquals("RANK must be in 0..1 for WORLD_SIZE 2, got 2", e.getMessage());
        e = assertThrows(DistException.class, () -> DistEnv.from(Map.of("WORLD_SIZE", "two")));
        assertEquals("WORLD_SIZE must be an integer, got 'two'", e.getMessage());
        e = assertThrows(DistException.class, () -> DistEnv.from(Map.of("WORLD_SIZE", "2", "RANK", "0")));
        assertTrue(e.getMessage().contains("MASTER_ADDR is not set"), e.getMessage());
    }

    @Test
    void missingLibraryIsOneLineNamingTheBuildScript() {
        DistException e = assertThrows(DistException.class,
                () -> C10dNative.checkPresent(Path.of("/nonexistent/libqvgen_c10d.so")));
        assertEquals(1, e.getMessage().lines().count());
        assertTrue(e.getMessage().contains("/nonexistent/libqvgen_c10d.so does not exist: run "
                + "layers/src/main/native/c10d/build.sh"), e.getMessage());
    }

    @Test
    void unreachableMasterIsAnExceptionNotACrash() throws Exception {
        int port = C10dBinding.freePort();
        // rank 1 alone: no server at the port; c10d's own timeout ends the wait
        DistException e = assertThrows(DistException.class,
                () -> new DistEnv(1, 2, 1, "127.0.0.1", port).openGroup(Duration.ofMillis(1500)));
        assertTrue(e.getMessage().startsWith("rank 1 of 2 could not join the group at 127.0.0.1:" + port + ": c10d: "),
                e.getMessage());
    }
}

package dev.qvgen.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The PyTorch engine starts offline from an empty DJL cache: its natives come from the
 * pytorch-native-cpu jar on the class path, nothing is downloaded. A fresh JVM is needed because
 * the engine loads once per process.
 */
class OfflineEngineTest {
    @TempDir
    Path cache;

    @Test
    void startsOfflineWithEmptyCache() throws IOException, InterruptedException {
        assertTrue(Files.list(cache).findAny().isEmpty());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Dai.djl.offline=true", "-DDJL_CACHE_DIR=" + cache, "-DENGINE_CACHE_DIR=" + cache,
                EngineSmokeMain.class.getName()));
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.environment().remove("DJL_CACHE_DIR");
        pb.environment().remove("ENGINE_CACHE_DIR");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        // [[1,2],[3,4]]^2 = [[7,10],[15,22]] -> 54
        assertTrue(out.contains("engine=PyTorch") && out.contains("sum=54.0"), out);
        // The natives were unpacked into the (previously empty) cache we gave it.
        assertTrue(Files.walk(cache).anyMatch(f -> f.getFileName().toString().startsWith("libtorch")), out);
    }
}

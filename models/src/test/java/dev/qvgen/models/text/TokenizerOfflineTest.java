package dev.qvgen.models.text;

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
 * The tokenizers binding starts offline from an empty DJL cache: its native library is unpacked
 * from the jar on the class path, nothing is downloaded. A fresh JVM, since it loads once per process.
 */
class TokenizerOfflineTest {
    @TempDir
    Path cache;

    @Test
    void nativeLibraryComesFromTheJar() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Dai.djl.offline=true", "-DDJL_CACHE_DIR=" + cache, "-DENGINE_CACHE_DIR=" + cache,
                TokenizerSmokeMain.class.getName(),
                Path.of("../shared/fixtures/golden/wan2.1/pipeline/tokenizer").toAbsolutePath().toString()));
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.environment().remove("DJL_CACHE_DIR");
        pb.environment().remove("ENGINE_CACHE_DIR");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("ids=[3, 4, 77, "), out);
        try (var walk = Files.walk(cache)) {
            assertTrue(walk.anyMatch(f -> f.getFileName().toString().equals("libtokenizers.so")), out);
        }
    }
}

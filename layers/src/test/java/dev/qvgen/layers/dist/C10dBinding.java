package dev.qvgen.layers.dist;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Test helper: the c10d binding, built by its script when a checkout has not built it yet (CI's
 * .ci/run builds it first; on a machine without libtorch-dev the script says what to install).
 */
public final class C10dBinding {
    private C10dBinding() {}

    public static synchronized Path ensureBuilt() throws IOException, InterruptedException {
        Path lib = C10dNative.locate();
        if (!Files.isRegularFile(lib)) {
            Process p = new ProcessBuilder("bash", C10dNative.BUILD).inheritIO().start();
            if (p.waitFor() != 0 || !Files.isRegularFile(lib)) {
                throw new IllegalStateException(C10dNative.BUILD + " failed; see its output above");
            }
        }
        return lib;
    }

    /** A port nothing listens on right now (for a TCPStore of a test). */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}

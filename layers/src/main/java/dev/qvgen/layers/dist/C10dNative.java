package dev.qvgen.layers.dist;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The JNI entry points of {@code libqvgen_c10d.so} ({@code layers/src/main/native/c10d}): libtorch's
 * c10d TCPStore and ProcessGroupGloo, nothing of ours in between. The library is found at the
 * system property {@code qvgen.c10d.lib}, else the environment variable {@code QVGEN_C10D_LIB},
 * else {@code target/native/libqvgen_c10d.so} in the working directory or one above it (where the
 * build script writes it).
 */
final class C10dNative {
    static final String PROPERTY = "qvgen.c10d.lib";
    static final String ENV = "QVGEN_C10D_LIB";
    static final String BUILD = "layers/src/main/native/c10d/build.sh";
    /** Element types of the buffers, as the C++ side decodes them. */
    static final int FLOAT32 = 0;
    static final int FLOAT64 = 1;

    private static volatile boolean loaded;

    private C10dNative() {}

    /** Loads the library once; one clear line naming what to run when it is not there. */
    static synchronized void load() {
        if (loaded) {
            return;
        }
        Path lib = locate();
        checkPresent(lib);
        // DJL's libtorch first, so that its libgomp is the process's libgomp.so.1 (Debian's
        // libtorch 1.13 then binds to the same OpenMP runtime instead of mapping a second one).
        ai.djl.engine.Engine.getEngine("PyTorch");
        try {
            System.load(lib.toAbsolutePath().toString());
        } catch (UnsatisfiedLinkError e) {
            throw new DistException("cannot load the c10d binding " + lib + ": " + e.getMessage());
        }
        loaded = true;
    }

    static void checkPresent(Path lib) {
        if (!Files.isRegularFile(lib)) {
            throw new DistException("WORLD_SIZE > 1 needs the c10d binding, but " + lib + " does not exist: run "
                    + BUILD + " (needs apt-get install libtorch-dev libgloo-dev) or set " + ENV
                    + " to the built libqvgen_c10d.so");
        }
    }

    static Path locate() {
        String p = System.getProperty(PROPERTY);
        if (p == null || p.isBlank()) {
            p = System.getenv(ENV);
        }
        if (p != null && !p.isBlank()) {
            return Path.of(p);
        }
        Path dir = Path.of("").toAbsolutePath();
        Path first = dir.resolve("target/native/libqvgen_c10d.so");
        for (Path d = dir; d != null; d = d.getParent()) {
            Path candidate = d.resolve("target/native/libqvgen_c10d.so");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
            if (Files.exists(d.resolve(".git")) || Files.exists(d.resolve("qvgen"))) {
                return candidate;
            }
        }
        return first;
    }

    static native String version();

    /**
     * @param host the TCPStore's numeric address (rank 0 serves it)
     * @param device this rank's numeric address for gloo's transport, or {@code if:NAME} for an interface
     */
    static native long open(String host, String device, int port, int rank, int world, long timeoutMs);

    static native void close(long group);

    static native void allReduceSum(long group, ByteBuffer buffer, long count, int dtype);

    static native void reduceSum(long group, ByteBuffer buffer, long count, int dtype, int root);

    static native void broadcast(long group, ByteBuffer buffer, long count, int dtype, int root);

    static native void barrier(long group);
}

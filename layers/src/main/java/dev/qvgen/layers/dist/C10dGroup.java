package dev.qvgen.layers.dist;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A process group of libtorch's c10d (a TCPStore at MASTER_ADDR:MASTER_PORT served by rank 0, and
 * ProcessGroupGloo over it) through {@code libqvgen_c10d.so}. This is the host-copy build's
 * group: each array is staged in a direct buffer of host memory, which c10d reduces in place, and
 * copied back; no libtorch object crosses between DJL's libtorch and the binding's.
 */
public final class C10dGroup implements ProcessGroup {
    private final int rank;
    private final int world;
    private long handle;
    private ByteBuffer staging = ByteBuffer.allocateDirect(0);

    private C10dGroup(int rank, int world, long handle) {
        this.rank = rank;
        this.world = world;
        this.handle = handle;
    }

    /** Joins the group described by {@code env}; returns once every rank has joined. */
    public static C10dGroup open(DistEnv env, java.time.Duration timeout) {
        C10dNative.load();
        String master = numeric(env.masterAddr());
        long h;
        try {
            h = C10dNative.open(master, device(master), env.masterPort(), env.rank(), env.worldSize(),
                    timeout.toMillis());
        } catch (IllegalStateException e) {
            throw new DistException("rank " + env.rank() + " of " + env.worldSize() + " could not join the group at "
                    + env.masterAddr() + ":" + env.masterPort() + ": " + e.getMessage());
        }
        return new C10dGroup(env.rank(), env.worldSize(), h);
    }

    /**
     * The binding gets numeric addresses only: its c10d runs on a second libc in a link namespace
     * of its own, whose name service (NSS) crashed when c10d resolved a host name there.
     */
    private static String numeric(String host) {
        try {
            return java.net.InetAddress.getByName(host).getHostAddress();
        } catch (java.net.UnknownHostException e) {
            throw new DistException("MASTER_ADDR '" + host + "' does not resolve to an address");
        }
    }

    /**
     * This rank's address for gloo's connections: the interface GLOO_SOCKET_IFNAME names (as
     * torch.distributed reads it), else the local address of the route to the master (a UDP
     * socket's connect sends nothing).
     */
    private static String device(String master) {
        String ifname = System.getenv("GLOO_SOCKET_IFNAME");
        if (ifname != null && !ifname.isBlank()) {
            return "if:" + ifname.trim();
        }
        try (java.net.DatagramSocket s = new java.net.DatagramSocket()) {
            s.connect(java.net.InetAddress.getByName(master), 9);
            return s.getLocalAddress().getHostAddress();
        } catch (java.io.IOException e) {
            throw new DistException("no route from this host to MASTER_ADDR " + master + ": " + e.getMessage());
        }
    }

    /** Where the binding is looked for (it may not exist): see {@link C10dNative}. */
    public static java.nio.file.Path libraryPath() {
        return C10dNative.locate();
    }

    /** Fails with the one-line message naming the build script when the binding is not there. */
    public static void requireLibrary() {
        C10dNative.checkPresent(C10dNative.locate());
    }

    /** The script that builds the binding, relative to the repository root. */
    public static final String BUILD_SCRIPT = C10dNative.BUILD;

    /** What the loaded binding was built against (e.g. "libtorch 1.13.1 c10d gloo, host-copy"). */
    public static String binding() {
        C10dNative.load();
        return C10dNative.version();
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return world;
    }

    @Override
    public void allReduceSum(NDArray a) {
        ByteBuffer b = stage(a);
        C10dNative.allReduceSum(live(), b, a.size(), C10dNative.FLOAT32);
        unstage(b, a);
    }

    @Override
    public void reduceSum(NDArray a, int root) {
        ByteBuffer b = stage(a);
        C10dNative.reduceSum(live(), b, a.size(), C10dNative.FLOAT32, root);
        if (rank == root) {
            unstage(b, a);
        }
    }

    @Override
    public void broadcast(NDArray a, int root) {
        ByteBuffer b = stage(a);
        C10dNative.broadcast(live(), b, a.size(), C10dNative.FLOAT32, root);
        if (rank != root) {
            unstage(b, a);
        }
    }

    @Override
    public void allReduceSum(double[] values) {
        ByteBuffer b = buffer(values.length * 8L);
        b.asDoubleBuffer().put(values);
        C10dNative.allReduceSum(live(), b, values.length, C10dNative.FLOAT64);
        b.asDoubleBuffer().get(values);
    }

    @Override
    public void barrier() {
        C10dNative.barrier(live());
    }

    @Override
    public synchronized void close() {
        if (handle != 0) {
            long h = handle;
            handle = 0;
            C10dNative.close(h);
        }
    }

    private long live() {
        if (handle == 0) {
            throw new IllegalStateException("process group is closed");
        }
        return handle;
    }

    /** {@code a}'s values in the staging buffer (float32, native order, positioned at 0). */
    private ByteBuffer stage(NDArray a) {
        if (a.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("collectives take float32 arrays, got " + a.getDataType());
        }
        ByteBuffer b = buffer(a.size() * 4L);
        b.put(a.toByteBuffer().order(ByteOrder.nativeOrder()));
        return b.rewind();
    }

    /**
     * Copies the staged values into {@code a}'s own memory (libtorch's in-place copy). Not
     * NDArray.set(Buffer): DJL's set makes the array use the given buffer's memory (measured: a
     * later collective's staging changed an earlier result; a parameter set from a heap array
     * crashed a later backward once that buffer was gone).
     */
    private static void unstage(ByteBuffer b, NDArray a) {
        float[] values = new float[Math.toIntExact(a.size())];
        b.rewind();
        b.asFloatBuffer().get(values);
        try (NDArray src = a.getManager().create(values, a.getShape())) {
            dev.qvgen.layers.nn.EngineOwned.copyInto(a, src);
        }
    }

    /** The staging buffer, grown to at least {@code bytes}, limited to them and positioned at 0. */
    private ByteBuffer buffer(long bytes) {
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("array of " + bytes + " bytes is over the 2 GiB staging limit");
        }
        if (staging.capacity() < bytes) {
            staging = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
        }
        staging.clear().limit((int) bytes);
        return staging;
    }
}

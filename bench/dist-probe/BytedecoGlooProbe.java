import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.PlacementCopier;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.Tensor;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Issue 17 probe: can org.bytedeco:pytorch:2.7.1-1.5.12 (JavaCPP) give DJL 0.36 (libtorch 2.7.1)
 * c10d's ProcessGroupGloo in the same JVM? Each step prints what it saw; see README.md.
 * Run through run.sh (the classpath is DJL's jars plus bytedeco's pytorch and javacpp jars).
 */
public final class BytedecoGlooProbe {
    static final String DJL = System.getProperty("djl.dir", "/root/.djl.ai/pytorch/2.7.1-20250812-cpu-linux-x86_64/");

    public static void main(String[] args) throws Exception {
        boolean crash = args.length > 0 && args[0].equals("--crash");
        NDManager m = NDManager.newBaseManager();
        NDArray x = m.create(new float[] {1, 2, 3}); // DJL's engine (and its libtorch) is loaded now

        // 1. JavaCPP must resolve its preloads to DJL's already loaded files, never extract its own
        //    libtorch_cpu.so/libc10.so (two copies = two dispatchers: it aborts with duplicate registrations).
        for (String[] lib : new String[][] {{"c10", "libc10.so"}, {"torch_cpu", "libtorch_cpu.so"},
                {"torch", "libtorch.so"}, {"gomp@.1", "libgomp-98b21ff3.so.1"}}) {
            Loader.loadLibrary(BytedecoGlooProbe.class, new URL[] {Path.of(DJL + lib[1]).toUri().toURL()}, lib[0]);
        }
        Loader.load(org.bytedeco.pytorch.global.torch.class);
        List<String> mapped = Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .map(l -> l.substring(l.lastIndexOf(' ') + 1))
                .filter(p -> p.contains("libtorch_cpu") || p.contains("libc10") || p.contains("libgomp")).distinct().toList();
        System.out.println("1. mapped after Loader.load(torch): " + mapped);

        // 2. zero copy: a bytedeco Tensor over DJL's torch::Tensor* handle
        long handle = ((PtNDArray) x).getHandle();
        Tensor view = new Tensor(new Pointer() {{ address = handle; }});
        view.mul_(new Scalar(2.0));
        System.out.println("2. DJL array after mul_ through the bytedeco view: " + Arrays.toString(x.toFloatArray())
                + " (expect [2.0, 4.0, 6.0])");

        // 3. the preset binds no Store that Java can construct (no TCPStore, FileStore, HashStore
        //    classes); libtorch_cpu.so exports c10d::TCPStore's constructor, reached here through a
        //    JavaCPP function pointer (whose JNI call catches C++ exceptions)
        try {
            tcpStore("127.0.0.1", 1, false, 2, 1000);
        } catch (RuntimeException e) {
            System.out.println("3a. TCPStore to a closed port: Java exception: " + e.getMessage().lines().findFirst().orElse(""));
        }
        int port = 29000 + (int) (ProcessHandle.current().pid() % 1000);
        Thread server = new Thread(() -> {
            Store s = tcpStore("127.0.0.1", port, true, 2, 20000);
            s.set("probe", "hello from rank 0");
        });
        server.start();
        Store client = tcpStore("127.0.0.1", port, false, 2, 20000);
        System.out.println("3b. TCPStore client read: '" + client.get_to_str("probe") + "'");
        server.join();

        // 4. objects the preset returns as c10::intrusive_ptr (constructors bound to make_intrusive,
        //    static create(), and every collective's Work) come back without an owner: the native
        //    object is freed before Java sees it
        ProcessGroupGloo.Options a = new ProcessGroupGloo.Options(new Milliseconds(12345));
        ProcessGroupGloo.Options b = new ProcessGroupGloo.Options(new Milliseconds(23456));
        System.out.println("4. two live Options objects: " + a + " and " + b + "; same native address: "
                + (a.address() == b.address()) + "; first's timeout reads " + a.timeout().count() + " (set 12345)");

        // 5. the same calls with an Options object made by libtorch's exported constructor, owned here
        //    (refcount 1): the process group itself, world size 1, and one allreduce
        BytePointer options = new BytePointer(Pointer.calloc(1, 4096)).capacity(4096);
        Pointer timeout = new Pointer() {{ address = 30000; }}; // std::chrono::milliseconds, by value
        call3(symbol("_ZN4c10d16ProcessGroupGloo7OptionsC1ENSt6chrono8durationIlSt5ratioILl1ELl1000EEEE"), options,
                timeout, 0);
        options.putInt(8, 1).putInt(12, 1);
        ProcessGroupGloo.Options owned = new ProcessGroupGloo.Options(options);
        owned.devices(new GlooDeviceVector(ProcessGroupGloo.createDeviceForHostname("127.0.0.1")));
        System.out.println("5a. owned Options: timeout " + owned.timeout().count() + ", devices " + owned.devices().size());
        Store solo = tcpStore("127.0.0.1", port + 1, true, 1, 20000);
        ProcessGroupGloo pg = new ProcessGroupGloo(solo, 0, 1, owned);
        System.out.println("5b. ProcessGroupGloo from the preset's constructor: " + pg);
        if (!crash) {
            System.out.println("(run with --crash for 5c: the first call on that object)");
            return;
        }
        System.out.println("5c. getRank() " + pg.getRank());
        System.out.println("5d. getBackendName() " + pg.getBackendName().getString());
        org.bytedeco.pytorch.Work w = pg.allreduce(new org.bytedeco.pytorch.TensorVector(view));
        w._wait();
        System.out.println("5e. after allreduce (world 1): " + Arrays.toString(x.toFloatArray()));
    }

    private static Pointer symbol(String name) {
        Pointer p = Loader.addressof(name);
        if (p == null || p.isNull()) {
            throw new IllegalStateException("symbol not found: " + name);
        }
        return p;
    }

    /** Calls fn(a, b, c) for a function of three pointer-sized arguments, C++ exceptions -> RuntimeException. */
    private static void call3(Pointer fn, Pointer a, Pointer b, long c) {
        BytePointer holder = new BytePointer(Pointer.calloc(1, 16)).capacity(16);
        holder.putLong(0, fn.address()); // JavaCPP's function-pointer struct starts with the raw pointer
        try {
            new PlacementCopier(holder).call(a, b, c);
        } finally {
            Pointer.free(holder);
        }
    }

    /** c10d::TCPStore(std::string host, const TCPStoreOptions&) of torch 2.7.1 (TCPStore.hpp's layout). */
    static Store tcpStore(String host, int port, boolean server, int workers, long timeoutMs) {
        Pointer str = Pointer.calloc(1, 64);
        Pointer alloc = Pointer.calloc(1, 8);
        call3(symbol("_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEC1EPKcRKS3_"), str, new BytePointer(host),
                alloc.address());
        BytePointer opts = new BytePointer(Pointer.calloc(1, 56)).capacity(56);
        opts.putShort(0, (short) port).put(2, (byte) (server ? 1 : 0));
        opts.putLong(8, workers).put(16, (byte) 1); // numWorkers (optional<size_t>)
        opts.put(24, (byte) 1).putLong(32, timeoutMs).put(52, (byte) 1); // waitWorkers, timeout, useLibUV
        BytePointer object = new BytePointer(Pointer.calloc(1, 4096)).capacity(4096);
        try {
            call3(symbol("_ZN4c10d8TCPStoreC1ENSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEERKNS_15TCPStoreOptionsE"),
                    object, str, opts.address());
        } catch (RuntimeException e) {
            Pointer.free(object);
            throw e;
        } finally {
            call3(symbol("_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEED1Ev"), str, null, 0);
            Pointer.free(str);
            Pointer.free(opts);
            Pointer.free(alloc);
        }
        object.putInt(8, 1).putInt(12, 1); // intrusive_ptr_target's refcount/weakcount, as make_intrusive leaves them
        return new Store(object);
    }
}

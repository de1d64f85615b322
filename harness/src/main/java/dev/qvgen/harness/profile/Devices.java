package dev.qvgen.harness.profile;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.cuda.CudaUtils;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** {@code --device} values and memory readings for them. */
public final class Devices {
    private Devices() {}

    /** {@code cpu}, {@code cuda}, {@code cuda:N} (also {@code gpu:N}). */
    public static Device parse(String s) {
        String v = s.trim().toLowerCase(Locale.ROOT);
        if (v.equals("cpu")) {
            return Device.cpu();
        }
        if (v.equals("cuda") || v.equals("gpu")) {
            return Device.gpu(0);
        }
        if (v.startsWith("cuda:") || v.startsWith("gpu:")) {
            try {
                int id = Integer.parseInt(v.substring(v.indexOf(':') + 1));
                if (id >= 0) {
                    return Device.gpu(id);
                }
            } catch (NumberFormatException e) {
                // fall through to the error
            }
        }
        throw new IllegalArgumentException("expected cpu or cuda:N (N >= 0), got '" + s + "'");
    }

    /** Waits for the device's queued work by reading one value back (a CUDA stream sync). */
    public static void sync(NDArray a) {
        if (a.getDevice().isGpu()) {
            try (NDArray one = a.flatten().get(0).toType(DataType.FLOAT32, false)) {
                one.getFloat();
            }
        }
    }

    /**
     * Device memory in use: on CUDA, cudaMemGetInfo's total minus free (the CUDA context plus what
     * PyTorch's caching allocator has reserved; the allocator keeps its high-water reservation, so
     * read after a run this is that run's peak reservation); on the CPU, the process's peak
     * resident set (VmHWM).
     */
    public static long memoryInUse(Device d) {
        if (d.isGpu()) {
            return CudaUtils.getGpuMemory(d).getCommitted();
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** Frees the caching allocator's unused blocks (CUDA), so the next reading starts low. */
    public static void releaseCached(Device d) {
        if (d.isGpu()) {
            ai.djl.pytorch.jni.JniUtils.emptyCudaCache();
        }
    }
}

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

    /**
     * Starts a new peak for {@link #peakSinceReset}. DJL 0.36's JNI has no binding for the caching
     * allocator's counters ({@code torch.cuda.reset_peak_memory_stats}, {@code max_memory_allocated});
     * what it has is {@code emptyCache}: on CUDA this frees the allocator's unused blocks, so the
     * reservation starts again from what live tensors hold, and since the allocator only ever grows
     * its reservation between two such calls, a later reading of the memory in use is the peak
     * reservation since this one. On the CPU it resets the process's peak RSS (VmHWM) to the current
     * RSS ({@code /proc/self/clear_refs}, where the kernel allows; else the peak stays the process's).
     */
    public static void resetPeak(Device d) {
        if (d.isGpu()) {
            releaseCached(d);
            return;
        }
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            // not Linux, or not allowed: the peak is the process's
        }
    }

    /**
     * The peak since the last {@link #resetPeak}: on CUDA the CUDA context plus the caching
     * allocator's peak reservation in that interval (cudaMemGetInfo; at least the peak of allocated
     * tensors, plus fragmentation); on the CPU the peak RSS.
     */
    public static long peakSinceReset(Device d) {
        return memoryInUse(d);
    }

    /**
     * Memory held now: on CUDA after freeing the allocator's unused blocks (the context plus the
     * segments live tensors occupy); on the CPU the resident set (VmRSS). Starts a new peak.
     */
    public static long inUseNow(Device d) {
        resetPeak(d);
        if (d.isGpu()) {
            return memoryInUse(d);
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}

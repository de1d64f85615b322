package dev.qvgen.harness.profile;

import ai.djl.Device;

import java.io.PrintStream;
import java.util.Locale;

/**
 * One line per stage of a run with the device memory it used: the peak since the previous line
 * and what is still held after it ({@link Devices#peakSinceReset}, {@link Devices#inUseNow}), so one
 * short run shows where memory goes. On CUDA each line empties the caching allocator's unused
 * blocks (that is how the next peak starts from what is live), which costs the next stage a few
 * fresh allocations; with the log off nothing is read or freed.
 */
public final class MemoryLog {
    private final Device device;
    private final PrintStream out;
    private final boolean on;
    private final String prefix;

    public MemoryLog(Device device, PrintStream out, boolean on, String prefix) {
        this.device = device;
        this.out = out;
        this.on = on;
        this.prefix = prefix;
        if (on) {
            Devices.resetPeak(device);
        }
    }

    public boolean on() {
        return on;
    }

    /** Logs the peak since the previous mark (or since this log began) and what is held after {@code stage}. */
    public void mark(String stage) {
        if (!on) {
            return;
        }
        long peak = Devices.peakSinceReset(device);
        long now = Devices.inUseNow(device);
        out.printf(Locale.ROOT, "%s: memory %s: in use %.2f GiB, peak %.2f GiB since the previous line (%s)%n", prefix,
                stage, gib(now), gib(peak), device.isGpu() ? "CUDA context + caching allocator's reservation"
                        : "process RSS");
    }

    private static double gib(long bytes) {
        return bytes / (double) (1L << 30);
    }
}

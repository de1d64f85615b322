package dev.qvgen.harness.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;

import dev.qvgen.harness.profile.Devices;

import picocli.CommandLine;

/**
 * {@code --device cpu|cuda:N}: a malformed value, or a GPU this machine's engine cannot see, is a
 * parse error (one line, exit 2) like any bad flag, before any work starts.
 */
public final class DeviceConverter implements CommandLine.ITypeConverter<Device> {
    @Override
    public Device convert(String value) {
        Device d;
        try {
            d = Devices.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
        if (d.isGpu()) {
            int visible = Engine.getInstance().getGpuCount();
            if (d.getDeviceId() >= visible) {
                throw new CommandLine.TypeConversionException("'" + value + "': " + (visible == 0
                        ? "no GPU is visible to DJL's engine (a CPU-only libtorch, or no CUDA device)"
                        : "only " + visible + " GPU(s) are visible to DJL's engine"));
            }
        }
        return d;
    }
}

package dev.qvgen.harness.cli;

import ai.djl.Device;

import dev.qvgen.harness.profile.Devices;

import picocli.CommandLine;

/** {@code --device cpu|cuda:N}: a bad value is a parse error (one line, exit 2) like any bad flag. */
public final class DeviceConverter implements CommandLine.ITypeConverter<Device> {
    @Override
    public Device convert(String value) {
        try {
            return Devices.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}

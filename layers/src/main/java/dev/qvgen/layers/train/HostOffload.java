package dev.qvgen.layers.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.nn.Precision;
import dev.qvgen.layers.nn.ScriptedOp;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A frozen network's parameters kept in host memory and copied to the compute device one unit
 * (a block, or {@link BlockResidency#ENTRY_EXIT}) at a time: {@link #materialise} points each
 * parameter of the unit at a fresh device copy, {@link #release} points it back at its host array
 * and frees the copy. Between the two the module computes on the device copies as if it lived
 * there; at any other time its parameters are the host arrays. For a teacher that is only run
 * forward (no gradients, nothing written back), so a release only drops the copy.
 *
 * <p>The counters say what was resident and what was moved (a unit test observes them, a log
 * line reports them): the units and bytes on the device now and at most since {@link
 * #resetPeaks}, and the bytes copied host to device in all.
 *
 * <p>A parameter is re-pointed through DJL's private {@code Parameter.array} field: the public API
 * can only replace an array by closing it ({@code Parameter.close}), which would free the host copy.
 */
public final class HostOffload implements AutoCloseable {
    /** How a host array reaches the device (a test may substitute one that alters the copy). */
    @FunctionalInterface
    public interface Transfer {
        NDArray toDevice(NDArray host, Device device);
    }

    private static final Field ARRAY = arrayField();

    private final Device device;
    private final Transfer transfer;
    private final Map<Integer, List<Parameter>> units = new TreeMap<>();
    private final Map<Integer, List<NDArray>> hostArrays = new TreeMap<>();
    private final Map<Integer, List<NDArray>> deviceCopies = new TreeMap<>();
    private long residentBytes;
    private long peakResidentBytes;
    private int peakResidentUnits;
    private long bytesMoved;
    private long materialisations;

    /**
     * @param unitOf the unit of every offloaded parameter (its array is the host copy from now on)
     * @param device where each unit is copied to for its forward
     * @param transfer the copy (see {@link #copy})
     */
    public HostOffload(Map<Parameter, Integer> unitOf, Device device, Transfer transfer) {
        this.device = device;
        this.transfer = transfer;
        unitOf.forEach((p, u) -> {
            if (p.getArray() == null) {
                throw new IllegalArgumentException("parameter " + p.getName() + " has no array");
            }
            units.computeIfAbsent(u, k -> new ArrayList<>()).add(p);
            hostArrays.computeIfAbsent(u, k -> new ArrayList<>()).add(p.getArray());
        });
    }

    /**
     * The default transfer: a copy on {@code device} (a clone where host and device are the same,
     * as on the CPU, so that the unit's arrays are still distinct copies there). bfloat16 goes
     * through {@code type_as} with a bfloat16 anchor on the device, since DJL 0.36 cannot name the
     * bfloat16 type in {@code toDevice}.
     */
    public static NDArray copy(NDArray host, Device device) {
        if (host.getDevice().equals(device)) {
            return host.duplicate();
        }
        if (Precision.isBf16(host)) {
            try (NDArray anchor32 = host.getManager().zeros(new Shape(1), DataType.FLOAT32, device);
                    NDArray anchor = Precision.to(anchor32, DataType.BFLOAT16)) {
                return ScriptedOp.TYPE_AS.apply(host, anchor);
            }
        }
        return host.toDevice(device, true);
    }

    /** Copies {@code unit}'s parameters to the device and points the parameters at the copies. */
    public void materialise(int unit) {
        if (deviceCopies.containsKey(unit)) {
            throw new IllegalStateException("unit " + unit + " is on the device already");
        }
        List<Parameter> ps = units.getOrDefault(unit, List.of());
        List<NDArray> hosts = hostArrays.getOrDefault(unit, List.of());
        List<NDArray> copies = new ArrayList<>(ps.size());
        for (int i = 0; i < ps.size(); i++) {
            NDArray c = transfer.toDevice(hosts.get(i), device);
            copies.add(c);
            point(ps.get(i), c);
            long b = bytes(c);
            residentBytes += b;
            bytesMoved += b;
        }
        deviceCopies.put(unit, copies);
        materialisations++;
        peakResidentBytes = Math.max(peakResidentBytes, residentBytes);
        peakResidentUnits = Math.max(peakResidentUnits, deviceCopies.size());
    }

    /** Points {@code unit}'s parameters back at their host arrays and frees the device copies. */
    public void release(int unit) {
        List<NDArray> copies = deviceCopies.remove(unit);
        if (copies == null) {
            throw new IllegalStateException("unit " + unit + " is not on the device");
        }
        List<Parameter> ps = units.getOrDefault(unit, List.of());
        List<NDArray> hosts = hostArrays.getOrDefault(unit, List.of());
        for (int i = 0; i < ps.size(); i++) {
            point(ps.get(i), hosts.get(i));
            residentBytes -= bytes(copies.get(i));
            copies.get(i).close();
        }
    }

    /** The units (block indices, ENTRY_EXIT) this offload moves. */
    public java.util.Set<Integer> units() {
        return java.util.Collections.unmodifiableSet(units.keySet());
    }

    /** Bytes of {@code unit}'s parameters (as stored on the host). */
    public long unitBytes(int unit) {
        return hostArrays.getOrDefault(unit, List.of()).stream().mapToLong(HostOffload::bytes).sum();
    }

    /** Units on the device now. */
    public int residentUnits() {
        return deviceCopies.size();
    }

    /** Bytes of device copies alive now. */
    public long residentBytes() {
        return residentBytes;
    }

    /** The most units on the device at once since {@link #resetPeaks}. */
    public int peakResidentUnits() {
        return peakResidentUnits;
    }

    /** The most bytes of device copies alive at once since {@link #resetPeaks}. */
    public long peakResidentBytes() {
        return peakResidentBytes;
    }

    /** Bytes copied host to device since {@link #resetPeaks}. */
    public long bytesMoved() {
        return bytesMoved;
    }

    /** Units materialised since {@link #resetPeaks}. */
    public long materialisations() {
        return materialisations;
    }

    public void resetPeaks() {
        peakResidentBytes = residentBytes;
        peakResidentUnits = deviceCopies.size();
        bytesMoved = 0;
        materialisations = 0;
    }

    /** Releases whatever is still on the device (after a failed forward); the host arrays stay. */
    @Override
    public void close() {
        for (Integer u : new ArrayList<>(deviceCopies.keySet())) {
            release(u);
        }
    }

    /** Bytes of {@code a} (DJL 0.36 reads bfloat16's type as UNKNOWN, of 0 bytes). */
    static long bytes(NDArray a) {
        return a.getShape().size() * (Precision.isBf16(a) ? 2 : a.getDataType().getNumOfBytes());
    }

    private static void point(Parameter p, NDArray a) {
        try {
            ARRAY.set(p, a);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Field arrayField() {
        try {
            Field f = Parameter.class.getDeclaredField("array");
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("offloading re-points DJL's Parameter.array, which this DJL lacks: " + e);
        }
    }
}

package dev.qvgen.layers.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * The last constant table (positions, RoPE) a model made, kept on the device: a sampling loop or
 * a benchmark asks for the same one every step, and rebuilding it means host loops and a host to
 * device copy per forward (diffusers keeps these as buffers). Rebuilt when the key, device or
 * type changes or its manager was closed. The cached array is taken out of the open
 * {@link NDScope} so the step that made it does not free it.
 */
public final class TableCache {
    private NDArray cached;
    private Object key;

    public synchronized NDArray get(Object key, Device device, DataType type, Supplier<NDArray> make) {
        if (cached != null && !cached.isReleased() && Objects.equals(this.key, key)
                && cached.getDevice().equals(device) && cached.getDataType() == type) {
            return cached;
        }
        NDArray a = make.get();
        NDArray moved = Precision.to(a.toDevice(device, false), type);
        if (moved == a) {
            // still the Java buffer the table was made from; autograd saves it (RoPE's products)
            moved = EngineOwned.adopt(a);
        }
        NDScope.unregister(moved);
        cached = moved;
        this.key = key;
        return moved;
    }
}

package dev.qvgen.quantizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Precision;

/**
 * What becomes of a layer's dense weight when a quantized kernel takes its place and runs without
 * it: kept (nothing changes), freed, or parked on the host until the kernel is closed. A
 * quantized model that also held its dense weights on the device used more memory than bf16
 * (issue 14: the simulated W4A4 Wan2.1-1.3B at 2.4x bf16's device memory).
 */
public enum DenseWeight {
    /** Stays on the layer (the study restores and requantizes the same weights on the CPU). */
    KEEP,
    /** Freed: the layer runs on its kernel alone (generation); it cannot go back to dense. */
    FREE,
    /**
     * Off the device: kept on the host (float32 for a bfloat16 weight, which is exact) and put back
     * when the kernel is closed ({@code profile}'s rows, one model for every row).
     */
    PARK;

    /** Applies this choice to {@code layer}'s weight; the result puts a parked weight back (else does nothing). */
    public Parked takeFrom(Linear layer) {
        if (this == KEEP) {
            return Parked.NONE;
        }
        NDArray w = layer.takeWeight();
        if (this == FREE) {
            w.close();
            return Parked.NONE;
        }
        if (!w.getDevice().isGpu()) {
            return new Parked(layer, w, w.getDevice(), false); // already on the host
        }
        boolean bf16 = Precision.isBf16(w);
        NDArray host;
        try (NDScope scope = new NDScope()) {
            // DJL 0.36 cannot move a bfloat16 tensor between devices; its float32 copy is exact
            NDArray wide = bf16 ? w.toType(DataType.FLOAT32, false) : w;
            host = wide.toDevice(ai.djl.Device.cpu(), false);
            NDScope.unregister(host);
        }
        Parked p = new Parked(layer, host, w.getDevice(), bf16);
        w.close();
        return p;
    }

    /** A dense weight off its layer; {@link #restore} puts it back on its device and in its type, once. */
    public static final class Parked {
        /** Nothing parked: restore does nothing. */
        public static final Parked NONE = new Parked(null, null, null, false);
        private Linear layer;
        private NDArray held;
        private final ai.djl.Device device;
        private final boolean bf16;

        private Parked(Linear layer, NDArray held, ai.djl.Device device, boolean bf16) {
            this.layer = layer;
            this.held = held;
            this.device = device;
            this.bf16 = bf16;
        }

        public void restore() {
            if (layer == null) {
                return;
            }
            NDArray back;
            if (held.getDevice().equals(device)) {
                back = held;
            } else {
                try (NDScope scope = new NDScope()) {
                    NDArray moved = held.toDevice(device, false);
                    back = bf16 ? Precision.to(moved, DataType.BFLOAT16) : moved;
                    NDScope.unregister(back);
                }
                held.close();
            }
            layer.putWeight(back);
            layer = null;
            held = null;
        }
    }
}

package dev.qvgen.models.pipeline;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.Precision;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Where a pipeline's text encoder computes, in which type, and where its weights rest between
 * prompt encodings.
 *
 * <p>The published text encoders are large (UMT5-XXL, Wan2.1's: 5.7 B parameters, 22.7 GB in
 * float32) and are used once per prompt, before the denoising loop. A pipeline on an accelerator
 * therefore loads them on the host ({@link #loadingManager}); an encoding phase ({@link #use})
 * moves the weights to the compute device, parameter by parameter, in the compute type
 * ({@link #setPrecision}: bfloat16 for diffusers' {@code torch_dtype=torch.bfloat16}, 11.4 GB
 * for UMT5-XXL). With {@link #setOffload} on, the device copies are freed when the phase ends, so
 * the denoising loop and the VAE run without them, as diffusers' {@code enable_model_cpu_offload}
 * does for its text encoder; without it they stay on the device after the first phase (and the
 * host copies are freed), as before.
 *
 * <p>On the CPU with the default float32 type nothing moves and no array is replaced: the
 * encoder computes on the weights as loaded.
 */
public final class TextEncoderPlacement {
    private final Module encoder;
    private DataType type = DataType.FLOAT32;
    private boolean offload;
    /** While offloaded weights are on the device: the host arrays to put back, by parameter. */
    private Map<Parameter, NDArray> resting;
    /** Where and in which type the parameters are now, once placed; null: as loaded. */
    private Device placedOn;
    private DataType placedType;
    private int depth;

    public TextEncoderPlacement(Module encoder) {
        this.encoder = encoder;
    }

    /**
     * The manager a pipeline loads its text encoder into: a host sub-manager of {@code pipeline}
     * when that one is on an accelerator (the weights then reach the device only in the compute
     * type, and only while prompts are encoded), else {@code pipeline} itself.
     */
    public static NDManager loadingManager(NDManager pipeline) {
        return pipeline.getDevice().isGpu() ? pipeline.newSubManager(Device.cpu()) : pipeline;
    }

    /** The compute type (float32: the weights as loaded; float16 or bfloat16: cast when placed). */
    public void setPrecision(DataType type) {
        if (depth > 0) {
            throw new IllegalStateException("the text encoder's precision cannot change while it encodes");
        }
        this.type = type == DataType.UNKNOWN ? DataType.BFLOAT16 : type;
    }

    /**
     * Frees the compute copies (on the device, in the compute type) after every encoding phase; the
     * weights as loaded stay where they rest (the host, for a pipeline on an accelerator). Only for
     * weights that have not been placed for good yet.
     */
    public void setOffload(boolean offload) {
        if (offload && resting == null && placedOn != null) {
            throw new IllegalStateException("the text encoder was already placed on " + placedOn
                    + " for good; choose offloading before the first prompt is encoded");
        }
        this.offload = offload;
    }

    /** An encoding phase: until it closes, the encoder's weights are on {@code device} in the compute type. */
    public Phase use(Device device) {
        if (depth == 0) {
            place(device);
        }
        depth++;
        return new Phase();
    }

    /** Ends an encoding phase; the outermost one frees offloaded device copies. */
    public final class Phase implements AutoCloseable {
        private boolean closed;

        private Phase() {}

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (--depth == 0 && resting != null) {
                release();
            }
        }
    }

    private Device restDevice() {
        return encoder.namedParameters().values().stream().map(Parameter::getArray).filter(a -> a != null)
                .map(NDArray::getDevice).findFirst().orElse(Device.cpu());
    }

    private void place(Device device) {
        if (device.equals(placedOn) && type == placedType) {
            return;
        }
        if (resting != null) {
            release();
        }
        if (restDevice().equals(device) && type == DataType.FLOAT32) {
            return; // as loaded, where it computes: nothing to do
        }
        // offloaded: the weights as loaded stay, the compute copies live for the phase; else the
        // compute copies replace them for good
        boolean keep = offload;
        Map<Parameter, NDArray> kept = keep ? new IdentityHashMap<>() : null;
        for (Parameter p : encoder.namedParameters().values()) {
            NDArray a = p.getArray();
            NDArray placed = moveCast(a, device);
            if (placed == a) {
                continue;
            }
            if (keep) {
                // a second handle on the host storage: the parameter's own handle is closed below
                NDArray handle = a.reshape(a.getShape());
                NDScope.unregister(handle);
                kept.put(p, handle);
            }
            NDScope.unregister(placed);
            // a Parameter takes one array: close() drops (and, unless kept, frees) the old one
            p.close();
            p.setShape(null);
            p.setArray(placed);
        }
        resting = keep ? kept : null;
        placedOn = device;
        placedType = type;
    }

    /** {@code a} on {@code device}, floating-point weights in the compute type (a new array, or {@code a}). */
    private NDArray moveCast(NDArray a, Device device) {
        boolean bf16 = Precision.isBf16(a);
        if (bf16 && !a.getDevice().equals(device)) {
            throw new IllegalStateException("bfloat16 weights cannot move between devices in DJL 0.36; load the "
                    + "text encoder in float32 where it rests");
        }
        NDArray moved = a.getDevice().equals(device) ? a : a.toDevice(device, false);
        boolean cast = type != DataType.FLOAT32 && !bf16 && moved.getDataType().isFloating()
                && moved.getDataType() != type;
        if (!cast) {
            return moved;
        }
        NDArray typed = Precision.to(moved, type);
        if (moved != a) {
            moved.close();
        }
        return typed;
    }

    /** Frees the device copies and gives the parameters their host arrays back. */
    private void release() {
        for (Map.Entry<Parameter, NDArray> e : resting.entrySet()) {
            Parameter p = e.getKey();
            p.close();
            p.setShape(null);
            p.setArray(e.getValue());
        }
        resting = null;
        placedOn = null;
        placedType = null;
    }
}

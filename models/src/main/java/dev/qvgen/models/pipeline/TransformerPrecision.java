package dev.qvgen.models.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.Precision;

/**
 * The denoiser's compute type in a pipeline: diffusers pipelines loaded with {@code torch_dtype}
 * run the transformer in that type (its {@code _keep_in_fp32_modules} in float32) while the
 * scheduler works on float32 latents; the same here. Float32 until {@link #set} is called.
 */
public final class TransformerPrecision implements AutoCloseable {
    /** A 0-d array of the compute type (bfloat16 has no DJL type code to keep instead), or null. */
    private NDArray ref;

    /** Casts the transformer's parameters to {@code type} where they are. */
    public void set(Module transformer, DataType type) {
        close();
        if (type == DataType.FLOAT32) {
            return;
        }
        NDArray any = transformer.namedParameters().values().stream().map(Parameter::getArray)
                .filter(a -> a != null).findFirst().orElseThrow();
        Precision.cast(transformer, type, any.getDevice());
        NDManager m = any.getManager();
        NDArray r = Precision.to(m.zeros(new ai.djl.ndarray.types.Shape(), DataType.FLOAT32, any.getDevice()), type);
        NDScope.unregister(r);
        ref = r;
    }

    /** {@code a} in the transformer's compute type (text states may come in the text encoder's). */
    public NDArray in(NDArray a) {
        if (ref == null) {
            return Precision.isBf16(a) || a.getDataType() == DataType.FLOAT16 ? a.toType(DataType.FLOAT32, false) : a;
        }
        return Precision.like(a, ref);
    }

    /** The transformer's output back in float32 for the scheduler. */
    public NDArray out(NDArray a) {
        return a.toType(DataType.FLOAT32, false);
    }

    @Override
    public void close() {
        if (ref != null) {
            ref.close();
            ref = null;
        }
    }
}

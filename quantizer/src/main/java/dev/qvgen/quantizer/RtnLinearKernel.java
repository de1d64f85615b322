package dev.qvgen.quantizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.LinearKernel;
import dev.qvgen.layers.nn.Precision;

/**
 * Round-to-nearest post-training quantization of one linear layer, simulated: its weight is
 * quantized once (per output channel), its input on every call (per token, dynamic), and the
 * product runs in the layer's type on the fake-quantized values.
 *
 * <p>The weight is held as int8 codes with its steps and dequantized for each call, the copy freed
 * after the product: a fake-quantized copy in the weight's type held for the model's life, beside
 * the dense weight, made the simulated W4A4 model use more device memory than bf16 (issue 14).
 * {@code codes * step} in the weight's type is the value {@link UniformQuantizer#weightPerChannel}
 * gives (the codes are small integers, exact in every type), except that a weight rounded to -0 comes
 * back +0 (int8 has no -0), which no product can tell apart. Inference only: the call's temporaries
 * are freed as it returns.
 */
public final class RtnLinearKernel implements LinearKernel, AutoCloseable {
    private final NDArray codes;
    private final NDArray step;
    private final int activationBits;
    private DenseWeight.Parked parked = DenseWeight.Parked.NONE;

    public RtnLinearKernel(Linear layer, QuantSpec spec) {
        NDArray w = layer.weight();
        try (NDScope scope = new NDScope()) {
            NDArray s = UniformQuantizer.weightScale(w, spec.weightBits());
            // float32 on the way: DJL 0.36 casts bfloat16 to float32 but not to int8 directly
            NDArray c = UniformQuantizer.weightCodes(w, s, spec.weightBits()).toType(DataType.FLOAT32, false)
                    .toType(DataType.INT8, false);
            NDScope.unregister(s, c);
            this.step = s;
            this.codes = c;
        }
        this.activationBits = spec.activationBits();
    }

    /** Makes this kernel {@code layer}'s, and keeps, frees or parks the layer's dense weight. */
    public RtnLinearKernel install(Linear layer, DenseWeight dense) {
        layer.setKernel(this);
        parked = dense.takeFrom(layer);
        return this;
    }

    @Override
    public NDArray apply(Linear layer, NDArray x) {
        NDArray y;
        try (NDScope scope = new NDScope()) {
            y = layer.dense(UniformQuantizer.activationPerToken(x, activationBits), quantizedWeight());
            NDScope.unregister(y);
        }
        return y;
    }

    /** The fake-quantized weight (out, in) in the weight's type, a new array the caller owns. */
    public NDArray quantizedWeight() {
        try (NDScope scope = new NDScope()) {
            NDArray w = Precision.like(codes.toType(DataType.FLOAT32, false), step).mul(step);
            NDScope.unregister(w);
            return w;
        }
    }

    /** Bytes the kernel holds on the weight's device: codes and steps. */
    public long deviceBytes() {
        // DJL 0.36 names bfloat16 UNKNOWN, with no byte count
        return codes.size() + step.size() * (Precision.isBf16(step) ? 2 : step.getDataType().getNumOfBytes());
    }

    /** Frees the codes; a dense weight parked by {@link #install} goes back to its layer first. */
    @Override
    public void close() {
        parked.restore();
        codes.close();
        step.close();
    }
}

package dev.qvgen.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

/** torch.nn.Linear: {@code y = x W^T + b}, weight (out, in), with a pluggable kernel. */
public final class Linear extends Module {
    private final int inFeatures;
    private final int outFeatures;
    private final Parameter weight;
    private final Parameter bias;
    private LinearKernel kernel = LinearKernel.DENSE;

    public Linear(int inFeatures, int outFeatures, boolean bias) {
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.weight = param("weight", new Shape(outFeatures, inFeatures));
        this.bias = bias ? param("bias", new Shape(outFeatures)) : null;
    }

    public NDArray forward(NDArray x) {
        return kernel.apply(this, x);
    }

    /** The full-precision product, for kernels that fall back to it. */
    public NDArray dense(NDArray x) {
        return dense(x, weight.getArray());
    }

    /** The product with a substitute weight (e.g. a fake-quantized one) and this layer's bias. */
    public NDArray dense(NDArray x, NDArray w) {
        NDArray b = bias == null ? null : bias.getArray();
        if (w.getDataType() == DataType.UINT8) {
            // bfloat16 storage (WeightLoader.Storage.BF16): widen this layer's weight for the product only
            try (NDArray wide = Bfloat16.widen(w, new Shape(outFeatures, inFeatures))) {
                if (x.getDataType() != DataType.FLOAT32) {
                    try (NDArray typed = Precision.like(wide, x)) {
                        return x.getNDArrayInternal().linear(x, typed, b).singletonOrThrow();
                    }
                }
                return x.getNDArrayInternal().linear(x, wide, b).singletonOrThrow();
            }
        }
        if (w.getDataType() == DataType.FLOAT16 && x.getDataType() == DataType.FLOAT32) {
            // float16 storage (WeightLoader.Storage.FP16): widen this layer's weight for the product only
            try (NDArray wide = w.toType(DataType.FLOAT32, false)) {
                return x.getNDArrayInternal().linear(x, wide, b).singletonOrThrow();
            }
        }
        return x.getNDArrayInternal().linear(x, w, b).singletonOrThrow();
    }

    public NDArray weight() {
        return weight.getArray();
    }

    public NDArray biasOrNull() {
        return bias == null ? null : bias.getArray();
    }

    public int inFeatures() {
        return inFeatures;
    }

    public int outFeatures() {
        return outFeatures;
    }

    public LinearKernel kernel() {
        return kernel;
    }

    public void setKernel(LinearKernel kernel) {
        this.kernel = kernel == null ? LinearKernel.DENSE : kernel;
    }
}

package dev.qvgen.layers.nn;

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
        if (kernel == LinearKernel.DENSE) {
            return OpClock.time(OpClock.Kind.LINEAR, x, () -> dense(x));
        }
        // a substitute kernel (fake quantization, observers) makes several input-sized
        // temporaries; freeing them here keeps a quantized forward's memory near the dense one's
        return OpClock.time(OpClock.Kind.LINEAR, x, () -> Scopes.scoped(() -> kernel.apply(this, x)));
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
                        return product(x, typed, b);
                    }
                }
                return product(x, wide, b);
            }
        }
        if (w.getDataType() == DataType.FLOAT16 && x.getDataType() == DataType.FLOAT32) {
            // float16 storage (WeightLoader.Storage.FP16): widen this layer's weight for the product only
            try (NDArray wide = w.toType(DataType.FLOAT32, false)) {
                return product(x, wide, b);
            }
        }
        return product(x, w, b);
    }

    /**
     * torch.nn.functional.linear: {@code x W^T + b} over x's last axis.
     *
     * <p>DJL's JNI calls the C++ frontend's functional linear, which for an input of more than two
     * axes runs a matmul and then a separate bias add; on two axes it runs addmm, whose GEMM adds
     * the bias in its epilogue, as torch.nn.Linear does for 3-D inputs. So a biased product is
     * taken on the input flattened to two axes: the extra pass over every output cost the
     * CogVideoX-2B forward about 7% on an H200 (docs/PERFORMANCE.md). Unlike ATen's linear this
     * also fuses the bias for non-contiguous and 4-D inputs (the same sum, rounded once less).
     */
    public static NDArray product(NDArray x, NDArray w, NDArray b) {
        if (Autocast.applies(x)) {
            return Autocast.inFloat32(x, () -> productInType(Autocast.half(x), Autocast.half(w), Autocast.half(b)));
        }
        return productInType(x, w, b);
    }

    private static NDArray productInType(NDArray x, NDArray w, NDArray b) {
        Shape s = x.getShape();
        if (b == null || s.dimension() <= 2) {
            return x.getNDArrayInternal().linear(x, w, b).singletonOrThrow();
        }
        NDArray flat = x.reshape(-1, s.get(s.dimension() - 1));
        NDArray y = flat.getNDArrayInternal().linear(flat, w, b).singletonOrThrow();
        long[] dims = s.getShape().clone(); // getShape() is the Shape's own array
        dims[dims.length - 1] = w.getShape().get(0);
        NDArray out = y.reshape(new Shape(dims));
        // the view keeps the storage: closing the 2-D handles lets a caller that closes `out`
        // free the output at once (FeedForward does, for its 4x-wide pre-activation)
        flat.close();
        y.close();
        return out;
    }

    public NDArray weight() {
        return weight.getArray();
    }

    /** Whether the layer holds its dense weight ({@link #takeWeight} leaves it without). */
    public boolean hasWeight() {
        return weight.isInitialized();
    }

    /**
     * Takes the dense weight out of the layer, for a kernel that runs without it (real low-bit
     * codes): the parameter is left empty and the caller owns the returned handle on the same
     * storage, which is freed when that handle is closed; nothing else here refers to it.
     */
    public NDArray takeWeight() {
        NDArray w = weight.getArray();
        NDArray handle = w.reshape(w.getShape());
        ai.djl.ndarray.NDScope.unregister(handle);
        weight.close(); // the parameter's own handle only: the storage lives on in `handle`
        return handle;
    }

    /** Gives back a dense weight taken by {@link #takeWeight} (shape (out, in)). */
    public void putWeight(NDArray w) {
        if (weight.isInitialized()) {
            throw new IllegalStateException("layer already has its weight");
        }
        if (!w.getShape().equals(new Shape(outFeatures, inFeatures))) {
            throw new IllegalArgumentException("weight must be (" + outFeatures + ", " + inFeatures + "), got "
                    + w.getShape());
        }
        weight.setShape(null);
        weight.setArray(w);
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

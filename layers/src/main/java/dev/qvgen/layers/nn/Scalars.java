package dev.qvgen.layers.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Arithmetic with a constant, the constant made by {@code full} on the array's device.
 *
 * <p>DJL's {@code NDArray.op(Number)} wraps the number in a tensor that borrows a Java direct
 * buffer (torch::from_blob) and, on CUDA, copies it to the device. Two problems: autograd keeps
 * that tensor for the backward pass of a product, which then reads freed memory (seen as random
 * NaN/1e14 gradient norms in toy training); and the copy comes from pageable host memory, which
 * CUDA performs only after the stream's queued kernels have finished, so every such op is a
 * stream synchronisation that leaves the GPU idle until the host queues work again. A tensor made
 * by {@code full} on the device owns its memory and needs no copy. Forward code on possibly-CUDA
 * arrays uses these helpers instead of {@code op(Number)}.
 */
public final class Scalars {
    private Scalars() {}

    public static NDArray mul(NDArray x, float c) {
        return x.mul(constant(x, c));
    }

    public static NDArray div(NDArray x, float c) {
        return x.mul(constant(x, 1f / c));
    }

    public static NDArray add(NDArray x, float c) {
        return x.add(constant(x, c));
    }

    public static NDArray sub(NDArray x, float c) {
        return x.sub(constant(x, c));
    }

    public static NDArray eq(NDArray x, float c) {
        return x.eq(constant(x, c));
    }

    public static NDArray gt(NDArray x, float c) {
        return x.gt(constant(x, c));
    }

    public static NDArray constant(NDArray like, float c) {
        // a bfloat16 tensor's type has no DJL code: a float32 0-d scalar keeps it bfloat16 (type promotion)
        DataType t = Precision.isBf16(like) ? DataType.FLOAT32 : like.getDataType();
        return like.getManager().full(new Shape(), c, t, like.getDevice());
    }
}

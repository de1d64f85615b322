package dev.qvgen.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Multiplication by a constant that is safe under autograd.
 *
 * <p>DJL's {@code NDArray.mul(Number)} wraps the number in a tensor that borrows a Java direct
 * buffer (torch::from_blob) and closes it right after the op; autograd keeps that tensor for the
 * backward pass, which then reads freed memory (seen as random NaN/1e14 gradient norms in toy
 * training). A tensor made by {@code full} owns its memory, so the saved copy stays valid.
 * Addition and subtraction save nothing and may keep using plain numbers.
 */
public final class Scalars {
    private Scalars() {}

    public static NDArray mul(NDArray x, float c) {
        return x.mul(constant(x, c));
    }

    public static NDArray div(NDArray x, float c) {
        return x.mul(constant(x, 1f / c));
    }

    public static NDArray constant(NDArray like, float c) {
        // a bfloat16 tensor's type has no DJL code: a float32 0-d scalar keeps it bfloat16 (type promotion)
        DataType t = Precision.isBf16(like) ? DataType.FLOAT32 : like.getDataType();
        return like.getManager().full(new Shape(), c, t, like.getDevice());
    }
}

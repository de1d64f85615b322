package dev.qvgen.layers.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

/** LayerNorm over the last axis, computed in float32 (diffusers' FP32LayerNorm). */
public final class LayerNorm extends Module {
    private final int dim;
    private final float eps;
    private final Parameter weight;
    private final Parameter bias;

    public LayerNorm(int dim, float eps, boolean affine) {
        this.dim = dim;
        this.eps = eps;
        this.weight = affine ? param("weight", new Shape(dim)) : null;
        this.bias = affine ? param("bias", new Shape(dim)) : null;
    }

    public NDArray forward(NDArray x) {
        NDArray gamma = weight == null ? Precision.like(x.getManager().ones(new Shape(dim), DataType.FLOAT32,
                x.getDevice()), x) : weight.getArray();
        NDArray beta = bias == null ? Precision.like(x.getManager().zeros(new Shape(dim), DataType.FLOAT32,
                x.getDevice()), x) : bias.getArray();
        return x.getNDArrayInternal().layerNorm(x, new Shape(dim), gamma, beta, eps).singletonOrThrow();
    }
}

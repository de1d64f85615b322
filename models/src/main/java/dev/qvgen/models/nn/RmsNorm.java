package dev.qvgen.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

/** torch.nn.RMSNorm over the last axis with an elementwise scale. */
public final class RmsNorm extends Module {
    private final float eps;
    private final Parameter weight;

    public RmsNorm(int dim, float eps) {
        this.eps = eps;
        this.weight = param("weight", new Shape(dim));
    }

    public NDArray forward(NDArray x) {
        NDArray rms = x.square().mean(new int[] {-1}, true).add(eps).sqrt();
        return x.div(rms).mul(weight.getArray());
    }
}

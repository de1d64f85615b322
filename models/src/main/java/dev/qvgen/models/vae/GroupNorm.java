package dev.qvgen.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.nn.Module;

/**
 * torch.nn.GroupNorm with an affine weight and bias. DJL has no group norm, so the statistics are
 * taken over (C / groups) channels and all positions with reshape + mean; the variance is the
 * biased one, as torch uses.
 */
public final class GroupNorm extends Module {
    private final int groups;
    private final int channels;
    private final float eps;
    private final Parameter weight;
    private final Parameter bias;

    public GroupNorm(int groups, int channels, float eps) {
        if (channels % groups != 0) {
            throw new IllegalArgumentException("GroupNorm: " + channels + " channels not divisible into "
                    + groups + " groups");
        }
        this.groups = groups;
        this.channels = channels;
        this.eps = eps;
        this.weight = param("weight", new Shape(channels));
        this.bias = param("bias", new Shape(channels));
    }

    public NDArray forward(NDArray x) {
        return VaeOps.groupNorm(x, groups, weight.getArray(), bias.getArray(), eps);
    }

    public int channels() {
        return channels;
    }
}

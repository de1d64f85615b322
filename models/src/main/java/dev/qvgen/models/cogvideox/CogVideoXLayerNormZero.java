package dev.qvgen.models.cogvideox;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

import dev.qvgen.layers.nn.Activations;
import dev.qvgen.layers.nn.LayerNorm;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.Scalars;

/**
 * diffusers' CogVideoXLayerNormZero: one LayerNorm shared by video and text tokens, each with its
 * own shift/scale/gate from linear(silu(temb)) chunked as [shift, scale, gate, enc_shift,
 * enc_scale, enc_gate] (the "expert" adaptive norm of the paper).
 */
public final class CogVideoXLayerNormZero extends Module {
    private final Linear linear;
    private final LayerNorm norm;

    public CogVideoXLayerNormZero(int conditioningDim, int dim, boolean affine, float eps) {
        linear = child("linear", new Linear(conditioningDim, 6 * dim, true));
        norm = affine ? child("norm", new LayerNorm(dim, eps, true)) : new LayerNorm(dim, eps, false);
    }

    /**
     * @param temb (B, conditioningDim)
     * @return modulated video (B, Lv, dim), modulated text (B, Lt, dim), video gate and text gate (B, 1, dim)
     */
    public NDList forward(NDArray video, NDArray text, NDArray temb) {
        NDList m = linear.forward(Activations.silu(temb)).expandDims(1).split(6, 2);
        NDArray v = norm.forward(video).mul(Scalars.add(m.get(1), 1f)).add(m.get(0));
        NDArray t = norm.forward(text).mul(Scalars.add(m.get(4), 1f)).add(m.get(3));
        return new NDList(v, t, m.get(2), m.get(5));
    }
}

package dev.qvgen.models.vae.wan;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.Scalars;
import dev.qvgen.models.vae.Conv;

/**
 * diffusers' {@code WanAttentionBlock}: single-head self-attention over the pixels of each frame
 * (frames do not attend to each other, so no cache is needed), 1×1 convolutions for qkv and the
 * output projection, residual.
 */
final class WanAttentionBlock extends Module implements WanCachedLayer {
    private final int dim;
    private final WanVaeRmsNorm norm;
    private final Conv toQkv;
    private final Conv proj;

    WanAttentionBlock(int dim) {
        this.dim = dim;
        norm = child("norm", new WanVaeRmsNorm(dim, true));
        toQkv = child("to_qkv", Conv.conv2d(dim, dim * 3, 1, 1, 0));
        proj = child("proj", Conv.conv2d(dim, dim, 1, 1, 0));
    }

    @Override
    public NDArray forward(NDArray x, WanFeatCache cache) {
        Shape s = x.getShape();
        long b = s.get(0);
        long t = s.get(2);
        long h = s.get(3);
        long w = s.get(4);
        NDArray frames = x.transpose(0, 2, 1, 3, 4).reshape(b * t, dim, h, w);
        NDArray qkv = toQkv.forward(norm.forward(frames)).reshape(b * t, 3L * dim, h * w).transpose(0, 2, 1);
        NDArray q = qkv.get(":, :, 0:" + dim);
        NDArray k = qkv.get(":, :, " + dim + ":" + 2 * dim);
        NDArray v = qkv.get(":, :, " + 2 * dim + ":");
        NDArray scores = Scalars.mul(q.matMul(k.transpose(0, 2, 1)), (float) (1.0 / Math.sqrt(dim)));
        NDArray attn = scores.softmax(-1).matMul(v); // (BT, HW, C)
        NDArray y = proj.forward(attn.transpose(0, 2, 1).reshape(b * t, dim, h, w));
        return y.reshape(b, t, dim, h, w).transpose(0, 2, 1, 3, 4).add(x);
    }
}

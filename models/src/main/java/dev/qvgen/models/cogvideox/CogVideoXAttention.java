package dev.qvgen.models.cogvideox;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.Attention;
import dev.qvgen.layers.nn.LayerNorm;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.ModuleList;
import dev.qvgen.layers.nn.Precision;

/**
 * diffusers' Attention with CogVideoXAttnProcessor2_0: joint self-attention over [text, video]
 * tokens, per-head LayerNorm on q and k (eps 1e-6, affine), RoPE on the video part of q and k.
 */
public final class CogVideoXAttention extends Module {
    /** The block builds its attention with eps=1e-6 for the q/k norms, whatever norm_eps says. */
    static final float QK_NORM_EPS = 1e-6f;

    private final int heads;
    private final Linear toQ;
    private final Linear toK;
    private final Linear toV;
    private final Linear toOut;
    private final LayerNorm normQ;
    private final LayerNorm normK;

    public CogVideoXAttention(int dim, int heads, int headDim, boolean bias) {
        this.heads = heads;
        toQ = child("to_q", new Linear(dim, heads * headDim, bias));
        toK = child("to_k", new Linear(dim, heads * headDim, bias));
        toV = child("to_v", new Linear(dim, heads * headDim, bias));
        normQ = child("norm_q", new LayerNorm(headDim, QK_NORM_EPS, true));
        normK = child("norm_k", new LayerNorm(headDim, QK_NORM_EPS, true));
        ModuleList<Linear> out = child("to_out", new ModuleList<>());
        toOut = out.add(new Linear(heads * headDim, dim, true));
    }

    /**
     * @param video (B, Lv, dim)
     * @param text (B, Lt, dim)
     * @param ropeCos (Lv, headDim) or null (sin-cos models)
     * @return video and text outputs
     */
    public NDList forward(NDArray video, NDArray text, NDArray ropeCos, NDArray ropeSin) {
        long lt = text.getShape().get(1);
        NDArray x = NDArrays.concat(new NDList(text, video), 1);
        NDArray q = normQ.forward(heads(toQ.forward(x)));
        NDArray k = normK.forward(heads(toK.forward(x)));
        NDArray v = heads(toV.forward(x));
        if (ropeCos != null) {
            q = rotateVideoPart(q, lt, ropeCos, ropeSin);
            k = rotateVideoPart(k, lt, ropeCos, ropeSin);
        }
        NDArray o = Attention.scaledDotProduct(q, k, v);
        Shape s = o.getShape();
        o = toOut.forward(o.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), -1));
        long l = s.get(2);
        return new NDList(o.get(":, {}:{}", lt, l), o.get(":, 0:{}", lt));
    }

    /** (B, L, H*D) -> (B, H, L, D). */
    private NDArray heads(NDArray t) {
        Shape s = t.getShape();
        return t.reshape(s.get(0), s.get(1), heads, s.get(2) / heads).transpose(0, 2, 1, 3);
    }

    private static NDArray rotateVideoPart(NDArray x, long textLen, NDArray cos, NDArray sin) {
        long l = x.getShape().get(2);
        NDArray text = x.get(":, :, 0:{}", textLen);
        NDArray video = applyRotary(x.get(":, :, {}:{}", textLen, l), cos, sin);
        return NDArrays.concat(new NDList(text, video), 2);
    }

    /**
     * apply_rotary_emb(use_real, unbind_dim=-1): x * cos + rot(x) * sin where rot maps each pair
     * (x[2j], x[2j+1]) to (-x[2j+1], x[2j]); x (B, H, L, D), tables (L, D).
     */
    static NDArray applyRotary(NDArray x, NDArray cos, NDArray sin) {
        if (x.getDataType() != cos.getDataType()) {
            // diffusers: (x.float() * cos + x_rotated.float() * sin).to(x.dtype)
            return Precision.like(applyRotary(x.toType(cos.getDataType(), false), cos, sin), x);
        }
        Shape s = x.getShape();
        NDArray pairs = x.reshape(s.get(0), s.get(1), s.get(2), s.get(3) / 2, 2);
        NDArray re = pairs.get("..., 0");
        NDArray im = pairs.get("..., 1");
        NDArray rotated = NDArrays.stack(new NDList(im.neg(), re), 4).reshape(s);
        return x.mul(cos).add(rotated.mul(sin));
    }
}

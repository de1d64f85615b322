package dev.qvgen.models.wan;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Attention;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.ModuleList;
import dev.qvgen.layers.nn.RmsNorm;
import dev.qvgen.layers.nn.Scopes;

/** Wan attention: q/k/v projections, RMS norm across heads on q and k, optional RoPE, out projection. */
public final class WanAttention extends Module {
    private final int heads;
    private final Linear toQ;
    private final Linear toK;
    private final Linear toV;
    private final Linear toOut;
    private final RmsNorm normQ;
    private final RmsNorm normK;

    public WanAttention(int dim, int heads, float eps) {
        this.heads = heads;
        toQ = child("to_q", new Linear(dim, dim, true));
        toK = child("to_k", new Linear(dim, dim, true));
        toV = child("to_v", new Linear(dim, dim, true));
        ModuleList<Linear> out = child("to_out", new ModuleList<>());
        toOut = out.add(new Linear(dim, dim, true));
        normQ = child("norm_q", new RmsNorm(dim, eps));
        normK = child("norm_k", new RmsNorm(dim, eps));
    }

    /**
     * @param x (B, L, dim)
     * @param context (B, S, dim) for cross-attention, or null for self-attention
     * @param ropeCos null for cross-attention
     */
    public NDArray forward(NDArray x, NDArray context, NDArray ropeCos, NDArray ropeSin) {
        NDArray kv = context == null ? x : context;
        // each projection in its own scope, as eager PyTorch frees the pre-norm projection and
        // RoPE's float32 temporaries (about 1 GiB each for q and k at 32k tokens) right away
        NDArray q = Scopes.scoped(() -> rotated(split(normQ.forward(toQ.forward(x))), ropeCos, ropeSin));
        NDArray k = Scopes.scoped(() -> rotated(split(normK.forward(toK.forward(kv))), ropeCos, ropeSin));
        NDArray v = split(toV.forward(kv));
        NDArray o = Attention.scaledDotProduct(q.transpose(0, 2, 1, 3), k.transpose(0, 2, 1, 3),
                v.transpose(0, 2, 1, 3));
        long b = o.getShape().get(0);
        long l = o.getShape().get(2);
        return toOut.forward(o.transpose(0, 2, 1, 3).reshape(b, l, -1));
    }

    private static NDArray rotated(NDArray t, NDArray cos, NDArray sin) {
        return cos == null ? t : WanRotaryPosEmbed.apply(t, cos, sin);
    }

    private NDArray split(NDArray t) {
        var s = t.getShape();
        return t.reshape(s.get(0), s.get(1), heads, s.get(2) / heads);
    }
}

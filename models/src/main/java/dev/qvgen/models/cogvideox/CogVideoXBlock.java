package dev.qvgen.models.cogvideox;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

import dev.qvgen.layers.nn.FeedForward;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.Scopes;

/**
 * One CogVideoX block: expert-modulated joint attention over [text, video], then an
 * expert-modulated feed-forward (GELU tanh, 4x) over the joint sequence.
 */
public final class CogVideoXBlock extends Module {
    private final CogVideoXLayerNormZero norm1;
    private final CogVideoXAttention attn1;
    private final CogVideoXLayerNormZero norm2;
    private final FeedForward ff;

    public CogVideoXBlock(CogVideoXConfig c) {
        int dim = c.innerDim();
        float eps = (float) c.normEps();
        norm1 = child("norm1", new CogVideoXLayerNormZero(c.timeEmbedDim(), dim, c.normElementwiseAffine(), eps));
        attn1 = child("attn1", new CogVideoXAttention(dim, c.numAttentionHeads(), c.attentionHeadDim(),
                c.attentionBias()));
        norm2 = child("norm2", new CogVideoXLayerNormZero(c.timeEmbedDim(), dim, c.normElementwiseAffine(), eps));
        ff = child("ff", new FeedForward(dim, 4 * dim));
    }

    /**
     * @param video (B, Lv, dim)
     * @param text (B, Lt, dim)
     * @param temb (B, timeEmbedDim)
     * @return the new video and text tokens
     */
    public NDList forward(NDArray video, NDArray text, NDArray temb, NDArray ropeCos, NDArray ropeSin) {
        long lt = text.getShape().get(1);
        // attention and feed-forward each in their own scope: their intermediates are freed
        // before the next starts, as eager PyTorch frees them
        NDList afterAttention = Scopes.scopedList(() -> {
            NDList n = norm1.forward(video, text, temb);
            NDList a = attn1.forward(n.get(0), n.get(1), ropeCos, ropeSin);
            return new NDList(video.add(n.get(2).mul(a.get(0))), text.add(n.get(3).mul(a.get(1))));
        });
        NDArray v1 = afterAttention.get(0);
        NDArray t1 = afterAttention.get(1);
        return Scopes.scopedList(() -> {
            NDList n = norm2.forward(v1, t1, temb);
            NDArray f = ff.forward(NDArrays.concat(new NDList(n.get(1), n.get(0)), 1));
            long l = f.getShape().get(1);
            return new NDList(v1.add(n.get(2).mul(f.get(":, {}:{}", lt, l))),
                    t1.add(n.get(3).mul(f.get(":, 0:{}", lt))));
        });
    }
}

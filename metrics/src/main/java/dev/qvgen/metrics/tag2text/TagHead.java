package dev.qvgen.metrics.tag2text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.io.WeightSource;
import dev.qvgen.layers.nn.Embedding;
import dev.qvgen.layers.nn.Module;

/**
 * Tag2Text's image tagging head (Query2Label): one learnt query per tag ({@code label_embed})
 * cross-attends to the image embeddings through {@code vision_multi} in MLR mode, and
 * {@code fc}, a GroupWiseLinear, scores each query against its own weight row. Names are the
 * checkpoint's, relative to the Tag2Text root.
 */
public final class TagHead extends Module {
    /** Tags in Tag2Text's vocabulary (tag_class.py). */
    public static final int NUM_CLASS = 3429;

    private final int numClass;
    private final MedBertModel visionMulti;
    private final Embedding labelEmbed;
    private final GroupWiseLinear fc;

    public TagHead(BertConfig q2l, int numClass) {
        this.numClass = numClass;
        visionMulti = child("vision_multi", MedBertModel.mlrOnly(q2l));
        labelEmbed = child("label_embed", new Embedding(numClass, q2l.hidden()));
        fc = child("fc", new GroupWiseLinear(numClass, q2l.hidden()));
    }

    /**
     * @param prefix the Tag2Text root's prefix in {@code source}: {@code "model."} in a
     *     {@link dev.qvgen.layers.weights.TorchPickle} of tag2text_swin_14m.pth
     */
    public static TagHead load(WeightSource source, String prefix, BertConfig q2l, int numClass,
                               NDManager manager) {
        TagHead m = new TagHead(q2l, numClass);
        SubtreeWeights.load(m, source, prefix, manager);
        return m;
    }

    public int numClass() {
        return numClass;
    }

    /**
     * @param imageEmbeds the visual encoder's output (B, 1+L, encoderWidth), CLS token first
     * @return tag logits (B, numClass) before the sigmoid
     */
    public NDArray logits(NDArray imageEmbeds) {
        long b = imageEmbeds.getShape().get(0);
        NDArray queries = labelEmbed.weight().expandDims(0).repeat(0, b);
        return fc.forward(visionMulti.mlr(queries, imageEmbeds));
    }

    /** {@code GroupWiseLinear}: W (1, C, D), b (1, C); {@code (W * x).sum(-1) + b}. */
    static final class GroupWiseLinear extends Module {
        private final Parameter w;
        private final Parameter b;

        GroupWiseLinear(int numClass, int dim) {
            w = param("W", new Shape(1, numClass, dim));
            b = param("b", new Shape(1, numClass));
        }

        NDArray forward(NDArray x) {
            return w.getArray().mul(x).sum(new int[] {-1}).add(b.getArray());
        }
    }
}

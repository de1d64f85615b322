package dev.qvgen.models.wan;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.Precision;

/**
 * Wan's 3D rotary position embedding. Frequencies are made per axis in float64 and cast to
 * float32: the head's channels are split as [t, h, w] = [d - 4*(d/6), 2*(d/6), 2*(d/6)] and each
 * part is indexed by the token's frame, row and column. (A later diffusers revision splits the
 * table as [d - 2*(d/3), d/3, d/3]; that is the same for the published d = 128 but not for toy
 * heads, and the golden fixture was made with this split: block 0 matches to 1.5e-7.)
 */
public final class WanRotaryPosEmbed {
    private final int headDim;
    private final int[] patch;
    private final double[][] cos;
    private final double[][] sin;

    public WanRotaryPosEmbed(int headDim, int[] patchSize, int maxSeqLen, double theta) {
        this.headDim = headDim;
        this.patch = patchSize.clone();
        int hDim = 2 * (headDim / 6);
        int tDim = headDim - 2 * hDim;
        cos = new double[maxSeqLen][headDim];
        sin = new double[maxSeqLen][headDim];
        int col = 0;
        for (int dim : new int[] {tDim, hDim, hDim}) {
            for (int j = 0; j < dim / 2; j++) {
                double freq = 1.0 / Math.pow(theta, (2.0 * j) / dim);
                for (int pos = 0; pos < maxSeqLen; pos++) {
                    double a = pos * freq;
                    // float32 cast as the reference does after computing in float64
                    cos[pos][col + 2 * j] = (float) Math.cos(a);
                    cos[pos][col + 2 * j + 1] = (float) Math.cos(a);
                    sin[pos][col + 2 * j] = (float) Math.sin(a);
                    sin[pos][col + 2 * j + 1] = (float) Math.sin(a);
                }
            }
            col += dim;
        }
    }

    /**
     * @return cos and sin of shape (tokens, 1, headDim/2): the cosine of each rotated pair (even
     *     columns) and its sine (odd columns), tokens ordered frame-major as the patch embedding.
     */
    public NDList forward(NDManager manager, int frames, int height, int width) {
        int ppf = frames / patch[0];
        int pph = height / patch[1];
        int ppw = width / patch[2];
        int s0 = headDim - 4 * (headDim / 6);
        int s1 = s0 + 2 * (headDim / 6);
        int tokens = ppf * pph * ppw;
        int half = headDim / 2;
        float[] c = new float[tokens * half];
        float[] s = new float[tokens * half];
        int t = 0;
        for (int f = 0; f < ppf; f++) {
            for (int h = 0; h < pph; h++) {
                for (int w = 0; w < ppw; w++) {
                    for (int j = 0; j < half; j++) {
                        int ce = 2 * j;
                        int so = 2 * j + 1;
                        c[t * half + j] = (float) cos[position(ce, s0, s1, f, h, w)][ce];
                        s[t * half + j] = (float) sin[position(so, s0, s1, f, h, w)][so];
                    }
                    t++;
                }
            }
        }
        Shape shape = new Shape(tokens, 1, half);
        return new NDList(manager.create(c, shape), manager.create(s, shape));
    }

    private static int position(int column, int s0, int s1, int f, int h, int w) {
        return column < s0 ? f : column < s1 ? h : w;
    }

    /** Rotates (B, L, H, D) query/key pairs (x[2j], x[2j+1]) by the given (L, 1, D/2) tables. */
    public static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        if (x.getDataType() != cos.getDataType()) {
            // half activations: rotate in the tables' float32 and cast back (diffusers' type_as)
            return Precision.like(apply(x.toType(cos.getDataType(), false), cos, sin), x);
        }
        Shape shape = x.getShape();
        long d = shape.get(3);
        NDArray pairs = x.reshape(shape.get(0), shape.get(1), shape.get(2), d / 2, 2);
        NDArray x1 = pairs.get("..., 0");
        NDArray x2 = pairs.get("..., 1");
        NDArray even = x1.mul(cos).sub(x2.mul(sin));
        NDArray odd = x1.mul(sin).add(x2.mul(cos));
        return NDArrays.stack(new NDList(even, odd), 4).reshape(shape);
    }
}

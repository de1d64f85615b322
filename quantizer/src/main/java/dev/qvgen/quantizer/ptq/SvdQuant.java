package dev.qvgen.quantizer.ptq;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.Rtn;
import dev.qvgen.quantizer.deploy.PackedLinear;
import dev.qvgen.quantizer.qat.LowRankBranch;
import dev.qvgen.quantizer.qat.Svd;

/**
 * SVDQuant (Li et al., 2024): smooth the layer, split the smoothed weight into a rank-r part
 * {@code L1 L2} kept in 16 bits and a residual that is quantized; activations of the residual path
 * are quantized per token, the low-rank path sees them unquantized:
 * {@code y = Q(X / s) Q(R)^T + (X / s) L2^T L1^T + b}. Unlike QVGen's Φ, the branch stays at
 * inference — its extra multiply-adds and bytes are reported by {@link PackedLinear}.
 */
public final class SvdQuant {
    public static final int DEFAULT_RANK = 32;

    private SvdQuant() {}

    public static PackedLinear pack(Linear layer, QuantSpec spec, float[] actAbsMax, float alpha, int rank) {
        int out = layer.outFeatures();
        int in = layer.inFeatures();
        float[] w = layer.weight().toFloatArray();
        float[] s = Smoothing.divisors(w, out, in, actAbsMax, alpha);
        float[] smoothed = Smoothing.scaleColumns(w, out, in, s);
        int r = LowRankBranch.cappedRank(rank, out, in);
        Svd.Factors f = Svd.truncated(smoothed, out, in, r);
        float[] residual = smoothed.clone();
        for (int i = 0; i < out; i++) {
            for (int k = 0; k < f.rank(); k++) {
                float lik = f.left()[i * f.rank() + k];
                for (int j = 0; j < in; j++) {
                    residual[i * in + j] -= lik * f.right()[k * in + j];
                }
            }
        }
        Linear residualLayer = VidiTq.weightOnly(residual, layer);
        try {
            return Rtn.pack(residualLayer, spec).withSmoothing(s).withLowRank(f.right(), f.left(), f.rank());
        } finally {
            residualLayer.weight().close();
        }
    }
}

package dev.qvgen.quantizer.ptq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.Rtn;
import dev.qvgen.quantizer.deploy.PackedLinear;

/**
 * ViDiT-Q's post-training quantization as far as it applies to linear layers: fine-grained
 * quantization (weights per output channel, activations per token and dynamic) after static
 * channel balancing calibrated on the model's own activations. (Its metric-decoupled mixed
 * precision is not reproduced: every selected layer gets the requested bit width, as in the
 * QVGen paper's uniform-precision comparison.)
 */
public final class VidiTq {
    private VidiTq() {}

    public static PackedLinear pack(Linear layer, QuantSpec spec, float[] actAbsMax, float alpha) {
        int out = layer.outFeatures();
        int in = layer.inFeatures();
        float[] w = layer.weight().toFloatArray();
        float[] s = Smoothing.divisors(w, out, in, actAbsMax, alpha);
        Linear smoothed = weightOnly(Smoothing.scaleColumns(w, out, in, s), layer);
        try {
            return Rtn.pack(smoothed, spec).withSmoothing(s);
        } finally {
            smoothed.weight().close();
        }
    }

    /** A detached copy of {@code layer} with weight {@code w} (for packing a transformed weight). */
    static Linear weightOnly(float[] w, Linear layer) {
        Linear l = new Linear(layer.inFeatures(), layer.outFeatures(), false);
        NDManager m = layer.weight().getManager();
        NDArray wa = m.create(w, new Shape(layer.outFeatures(), layer.inFeatures()));
        l.getParameters().get("weight").setArray(wa);
        return l;
    }
}

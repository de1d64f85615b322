package dev.qvgen.quantizer.qat;

import ai.djl.ndarray.NDArray;

import dev.qvgen.models.nn.ForwardContext;
import dev.qvgen.models.nn.Linear;
import dev.qvgen.models.nn.LinearKernel;

/**
 * A linear layer under quantization-aware training: {@code y = A_q(x) (W_q(W) + Φ)^T + b} with
 * the layer's own weight as the latent full-precision weight. Without Φ this is LSQ(+) QAT.
 */
public final class QatLinearKernel implements LinearKernel {
    private final LsqPlusWeightQuantizer weightQuantizer;
    private final ClippedDynamicActQuantizer activationQuantizer;
    private LowRankBranch phi;

    public QatLinearKernel(LsqPlusWeightQuantizer wq, ClippedDynamicActQuantizer aq, LowRankBranch phi) {
        this.weightQuantizer = wq;
        this.activationQuantizer = aq;
        this.phi = phi;
    }

    @Override
    public NDArray apply(Linear layer, NDArray x) {
        NDArray xq = activationQuantizer.forward(x, ForwardContext.currentTimesteps());
        NDArray w = weightQuantizer.forward(layer.weight());
        if (phi != null) {
            w = w.add(phi.delta());
        }
        return layer.dense(xq, w);
    }

    public LsqPlusWeightQuantizer weightQuantizer() {
        return weightQuantizer;
    }

    public ClippedDynamicActQuantizer activationQuantizer() {
        return activationQuantizer;
    }

    /** Φ, or null once removed (or for plain LSQ). */
    public LowRankBranch phi() {
        return phi;
    }

    public void removePhi() {
        phi = null;
    }
}

package dev.qvgen.quantizer.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

import dev.qvgen.layers.nn.EngineOwned;
import dev.qvgen.layers.nn.ForwardContext;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.LinearKernel;
import dev.qvgen.quantizer.deploy.PackedLinear;

/**
 * A linear layer under quantization-aware training: {@code y = A_q(x) (W_q(W) + Φ)^T + b} with
 * the layer's own weight as the latent full-precision weight. Without Φ this is LSQ(+) QAT; with
 * a LoRA branch instead ({@code W_q(W + B A)}, W frozen) it is EfficientDM.
 */
public final class QatLinearKernel implements LinearKernel {
    private final LsqPlusWeightQuantizer weightQuantizer;
    private final ClippedDynamicActQuantizer activationQuantizer;
    private LowRankBranch phi;
    private LoraBranch lora;

    public QatLinearKernel(LsqPlusWeightQuantizer wq, ClippedDynamicActQuantizer aq, LowRankBranch phi) {
        this(wq, aq, phi, null);
    }

    public QatLinearKernel(LsqPlusWeightQuantizer wq, ClippedDynamicActQuantizer aq, LowRankBranch phi,
            LoraBranch lora) {
        this.weightQuantizer = wq;
        this.activationQuantizer = aq;
        this.phi = phi;
        this.lora = lora;
    }

    @Override
    public NDArray apply(Linear layer, NDArray x) {
        NDArray xq = activationQuantizer.forward(x, ForwardContext.currentTimesteps());
        NDArray latent = lora == null ? layer.weight() : layer.weight().add(lora.delta());
        NDArray w = weightQuantizer.forward(latent);
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

    public LoraBranch lora() {
        return lora;
    }

    /** Merges the LoRA update into the layer's weight ({@code W <- W + B A}); the outputs do not change. */
    public void mergeLora(Linear layer) {
        if (lora == null) {
            return;
        }
        try (NDScope scope = new NDScope()) {
            NDArray merged = layer.weight().add(lora.delta());
            EngineOwned.copyInto(layer.weight(), merged);
        }
        lora = null;
    }

    /** The deployable form of this layer; only once Φ is gone, since the deployed model has none. */
    public PackedLinear pack(Linear layer) {
        if (phi != null) {
            throw new IllegalStateException("cannot export a layer that still has Φ (rank " + phi.rank() + ")");
        }
        if (lora != null) {
            throw new IllegalStateException("merge the LoRA branch before exporting");
        }
        try (NDScope scope = new NDScope()) {
            NDArray codes = weightQuantizer.codes(layer.weight());
            NDArray scale = weightQuantizer.effectiveScale();
            NDArray zero = weightQuantizer.effectiveZero();
            float[] c = codes.toFloatArray();
            int[] q = new int[c.length];
            for (int i = 0; i < q.length; i++) {
                q[i] = (int) c[i];
            }
            return PackedLinear.of(layer.outFeatures(), layer.inFeatures(), weightQuantizer.bits(), q,
                    scale.toFloatArray(), zero.toFloatArray(), PackedLinear.ActivationSpec.clipped(
                            activationQuantizer.bits(), activationQuantizer.lowerLogits().toFloatArray(),
                            activationQuantizer.upperLogits().toFloatArray()));
        }
    }
}

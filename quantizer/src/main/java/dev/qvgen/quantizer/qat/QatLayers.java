package dev.qvgen.quantizer.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.train.AdamW;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.QuantSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The quantization-aware training state of a model: one {@link QatLinearKernel} per selected
 * linear layer, with or without Φ (QVGen or LSQ), and the parameter groups the trainer updates.
 */
public final class QatLayers {
    /** Learning rates of the official recipe: weights, quantizer step sizes and Φ 3e-5, clipping 1e-2. */
    public record LearningRates(float weights, float quantizer, float phi, float clipping, float weightDecay) {
        public static LearningRates official() {
            return new LearningRates(3e-5f, 3e-5f, 3e-5f, 1e-2f, 1e-4f);
        }

        public LearningRates scaled(float f) {
            return new LearningRates(weights * f, quantizer * f, phi * f, clipping, weightDecay);
        }
    }

    /** The name of Φ's parameter group in {@link #groups}. */
    public static final String PHI_GROUP = "phi";

    private final Map<String, Linear> layers;
    private final Map<String, QatLinearKernel> kernels;

    private QatLayers(Map<String, Linear> layers, Map<String, QatLinearKernel> kernels) {
        this.layers = layers;
        this.kernels = kernels;
    }

    /**
     * Installs QAT kernels on the selected layers of {@code root}.
     *
     * @param phiRank 0 for LSQ (no Φ), else Φ's initial rank (capped for small layers)
     */
    public static QatLayers install(Module root, QuantSpec spec, Predicate<String> select, int phiRank,
            int clipGroups, NDManager manager) {
        return install(root, spec, select, new Options(phiRank, 0, clipGroups), manager);
    }

    /**
     * What is trained besides the quantizers.
     *
     * @param phiRank Φ's initial rank (QVGen), 0 for none
     * @param loraRank EfficientDM's LoRA rank (the base weights are then frozen), 0 for none
     * @param clipGroups timestep groups of the activation clipping
     */
    public record Options(int phiRank, int loraRank, int clipGroups) {
        public Options {
            if (phiRank > 0 && loraRank > 0) {
                throw new IllegalArgumentException("Φ and LoRA are different methods; pick one");
            }
        }
    }

    public static QatLayers install(Module root, QuantSpec spec, Predicate<String> select, Options o,
            NDManager manager) {
        int phiRank = o.phiRank();
        int clipGroups = o.clipGroups();
        Map<String, Linear> layers = LayerSelection.linears(root, select);
        Map<String, QatLinearKernel> kernels = new LinkedHashMap<>();
        for (var e : layers.entrySet()) {
            Linear l = e.getValue();
            LsqPlusWeightQuantizer wq = LsqPlusWeightQuantizer.initialise(l.weight(), spec.weightBits(), manager);
            ClippedDynamicActQuantizer aq = ClippedDynamicActQuantizer.initialise(spec.activationBits(), clipGroups,
                    manager);
            LowRankBranch phi = null;
            if (phiRank > 0) {
                try (NDScope scope = new NDScope()) {
                    phi = LowRankBranch.fromResidual(l.weight(), wq.forward(l.weight()), phiRank, manager);
                    NDScope.unregister(phi.arrays());
                }
            }
            LoraBranch lora = o.loraRank() > 0 ? LoraBranch.initialise(l.outFeatures(), l.inFeatures(), o.loraRank(),
                    e.getKey().hashCode(), manager) : null;
            QatLinearKernel k = new QatLinearKernel(wq, aq, phi, lora);
            l.setKernel(k);
            kernels.put(e.getKey(), k);
        }
        return new QatLayers(layers, kernels);
    }

    public Map<String, QatLinearKernel> kernels() {
        return kernels;
    }

    /** The largest initial rank of the installed Φ (their rank-decay schedule starts there); 0 without Φ. */
    public int initialPhiRank() {
        return kernels.values().stream().filter(k -> k.phi() != null).mapToInt(k -> k.phi().maxRank()).max()
                .orElse(0);
    }

    /**
     * Parameter groups: every parameter of {@code root} (latent weights, biases, norms...), the
     * quantizers' step sizes and zero points, the clip logits, and Φ.
     */
    public List<AdamW.Group> groups(Module root, LearningRates lr) {
        List<NDArray> weights = new ArrayList<>();
        List<NDArray> lora = new ArrayList<>();
        kernels.values().stream().filter(k -> k.lora() != null).forEach(k -> {
            lora.add(k.lora().down());
            lora.add(k.lora().up());
        });
        // EfficientDM freezes the pre-trained weights and trains only its adapters (and quantizers).
        if (lora.isEmpty()) {
            root.namedParameters().values().forEach(p -> weights.add(p.getArray()));
        }
        List<NDArray> quant = new ArrayList<>();
        List<NDArray> clip = new ArrayList<>();
        List<NDArray> phi = new ArrayList<>();
        for (QatLinearKernel k : kernels.values()) {
            quant.add(k.weightQuantizer().scale());
            quant.add(k.weightQuantizer().zero());
            clip.add(k.activationQuantizer().lowerLogits());
            clip.add(k.activationQuantizer().upperLogits());
            if (k.phi() != null) {
                phi.add(k.phi().left());
                phi.add(k.phi().right());
            }
        }
        List<AdamW.Group> g = new ArrayList<>();
        if (!weights.isEmpty()) {
            g.add(new AdamW.Group("weights", weights, lr.weights(), lr.weightDecay()));
        }
        if (!lora.isEmpty()) {
            g.add(new AdamW.Group("lora", lora, lr.phi(), lr.weightDecay()));
        }
        g.add(new AdamW.Group("quantizer", quant, lr.quantizer(), lr.weightDecay()));
        g.add(new AdamW.Group("clipping", clip, lr.clipping(), lr.weightDecay()));
        if (!phi.isEmpty()) {
            g.add(new AdamW.Group(PHI_GROUP, phi, lr.phi(), lr.weightDecay()));
        }
        return g;
    }

    /** Brings every Φ to {@code step}; returns the current rank of every layer (0 once removed). */
    public Map<String, Integer> decayTo(RankDecay decay, int step) {
        Map<String, Integer> ranks = new LinkedHashMap<>();
        for (var e : kernels.entrySet()) {
            QatLinearKernel k = e.getValue();
            if (k.phi() != null && decay.apply(k.phi(), step) == RankDecay.Event.REMOVED) {
                k.removePhi();
            }
            ranks.put(e.getKey(), k.phi() == null ? 0 : k.phi().rank());
        }
        return ranks;
    }

    /** Ends training: Φ is removed and LoRA merged, leaving plain quantized layers ready to export. */
    public void finish() {
        kernels.forEach((name, k) -> {
            k.removePhi();
            k.mergeLora(layers.get(name));
        });
    }

    public void setRequiresGradient(List<AdamW.Group> groups, boolean on) {
        groups.forEach(g -> g.arrays().forEach(a -> a.setRequiresGradient(on)));
    }

    public Map<String, Linear> layers() {
        return layers;
    }
}

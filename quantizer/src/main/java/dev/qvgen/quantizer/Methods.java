package dev.qvgen.quantizer;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.quantizer.deploy.PackedLinear;
import dev.qvgen.quantizer.ptq.Smoothing;
import dev.qvgen.quantizer.ptq.SvdQuant;
import dev.qvgen.quantizer.ptq.VidiTq;
import dev.qvgen.quantizer.qat.LowRankBranch;
import dev.qvgen.quantizer.qat.QatLayers;
import dev.qvgen.quantizer.qat.QatTrainer;
import dev.qvgen.quantizer.qat.RankDecay;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The quantization methods of the study, registered by the names the CLI and run plans use. Each
 * is either post-training (RTN without data; ViDiT-Q and SVDQuant calibrated on activations) or
 * quantization-aware (LSQ, Q-DM, EfficientDM, QVGen), described by what it trains and its loss.
 * Nothing here knows a model family: the caller supplies batches and forward passes.
 */
public final class Methods {
    private Methods() {}

    /** Packs one layer from its calibration statistics (per-input-channel max |x|). */
    public interface CalibratedPacker {
        PackedLinear pack(Linear layer, QuantSpec spec, float[] actAbsMax);
    }

    /** A method. {@code packer} is set for calibrated PTQ, {@code qat} for QAT. */
    /** @param label the name the paper's tables print, e.g. {@code Q-DM} */
    public record Method(String name, String label, String description, CalibratedPacker packer, Qat qat) {
        public boolean isQat() {
            return qat != null;
        }

        public boolean isCalibrated() {
            return packer != null;
        }
    }

    /**
     * What a QAT method trains and how.
     *
     * @param phiRank Φ's initial rank with rank decay (QVGen), 0 for none
     * @param loraRank LoRA rank with frozen base weights (EfficientDM), 0 for none
     * @param decay how Φ goes away (QVGen: SVD re-factoring; the others are ablations)
     * @param rankKeep fraction of Φ's rank kept at each rank-decay boundary (QVGen: one half)
     */
    public record Qat(int phiRank, int loraRank, QatTrainer.Loss loss, RankDecay.Strategy decay, double rankKeep) {
        public Qat(int phiRank, int loraRank, QatTrainer.Loss loss) {
            this(phiRank, loraRank, loss, RankDecay.Strategy.SVD, RankDecay.HALF);
        }

        /** The rank-decay schedule of this method that removes Φ after {@code fraction} of {@code steps}. */
        public RankDecay fittedDecay(int steps, int r0, double fraction) {
            return RankDecay.fitting(steps, r0, fraction, true, decay, rankKeep);
        }

        /** This method's schedule with a fixed period (the official recipe's T). */
        public RankDecay decayWithPeriod(int period) {
            return new RankDecay(period, true, decay, rankKeep);
        }

        public QatLayers.Options options(int clipGroups) {
            return new QatLayers.Options(phiRank, loraRank, clipGroups);
        }
    }

    public static final String FP = "fp";

    private static final Map<String, Method> ALL = new LinkedHashMap<>();
    /** The ablation variants of QVGen, which the paper's tables do not have. */
    private static final java.util.Set<String> ABLATIONS = new java.util.LinkedHashSet<>();

    static {
        // In the order of the paper's tables (reports and plans list methods in this order).
        add(new Method(FP, "Full precision", "full precision (reference)", null, null));
        add(new Method("rtn", "RTN", "round-to-nearest PTQ: per-channel weights, per-token dynamic activations", null, null));
        add(new Method("lsq", "LSQ", "LSQ+ QAT without Φ", null, new Qat(0, 0, QatTrainer.Loss.DISTILLATION)));
        add(new Method("qdm", "Q-DM", "Q-DM QAT: timestep-aware activation clipping, noise-estimating mimicking loss", null,
                new Qat(0, 0, QatTrainer.Loss.MIMICKING)));
        add(new Method("efficientdm", "EfficientDM", "EfficientDM: quantization-aware LoRA on frozen weights, merged after training",
                null, new Qat(0, LowRankBranch.DEFAULT_RANK, QatTrainer.Loss.DISTILLATION)));
        add(new Method("vidit-q", "ViDiT-Q", "ViDiT-Q PTQ: calibrated channel balancing, fine-grained dynamic quantization",
                (l, s, a) -> VidiTq.pack(l, s, a, Smoothing.DEFAULT_ALPHA), null));
        add(new Method("svdquant", "SVDQuant", "SVDQuant PTQ: smoothing plus a 16-bit low-rank branch kept at inference",
                (l, s, a) -> SvdQuant.pack(l, s, a, Smoothing.DEFAULT_ALPHA, SvdQuant.DEFAULT_RANK), null));
        add(new Method("qvgen", "QVGen", "QVGen QAT: auxiliary Φ removed by rank decay", null,
                new Qat(LowRankBranch.DEFAULT_RANK, 0, QatTrainer.Loss.DISTILLATION)));
        // Ablations of QVGen's mechanism (plan toy-ablations); QVGen without Φ is `lsq` itself.
        addVariant("qvgen-no-decay", "QVGen, no rank decay", "QVGen with Φ at full rank until training ends, then "
                + "dropped at once", RankDecay.Strategy.NONE, RankDecay.HALF);
        addVariant("qvgen-fixed-rank", "QVGen, fixed-rank decay", "QVGen with Φ at full rank, all of it scaled from 1 "
                + "to 0 over the rank decay's span", RankDecay.Strategy.FIXED_RANK, RankDecay.HALF);
        addVariant("qvgen-magnitude", "QVGen, magnitude decay", "QVGen whose rank decay keeps Φ's largest |L_i||R_i| "
                + "columns instead of re-factoring by SVD", RankDecay.Strategy.MAGNITUDE, RankDecay.HALF);
        addVariant("qvgen-keep25", "QVGen, rank x1/4", "QVGen with Φ's rank cut to a quarter at each decay boundary",
                RankDecay.Strategy.SVD, 0.25);
        addVariant("qvgen-keep75", "QVGen, rank x3/4", "QVGen with Φ's rank cut to three quarters at each decay "
                + "boundary", RankDecay.Strategy.SVD, 0.75);
    }

    private static void addVariant(String name, String label, String description, RankDecay.Strategy decay,
            double keep) {
        add(new Method(name, label, description, null,
                new Qat(LowRankBranch.DEFAULT_RANK, 0, QatTrainer.Loss.DISTILLATION, decay, keep)));
        ABLATIONS.add(name);
    }

    private static void add(Method m) {
        ALL.put(m.name(), m);
    }

    /** Every registered method, the paper's first (in its tables' order), then QVGen's ablation variants. */
    public static List<String> names() {
        return List.copyOf(ALL.keySet());
    }

    /** The methods of the paper's tables, in their order: every registered method but the ablations. */
    public static List<String> paperNames() {
        return ALL.keySet().stream().filter(n -> !ABLATIONS.contains(n)).toList();
    }

    /** Whether {@code name} is one of QVGen's ablation variants (plan toy-ablations), not a method of the paper. */
    public static boolean isAblation(String name) {
        return ABLATIONS.contains(name);
    }

    /** @throws IllegalArgumentException naming the known methods */
    public static Method get(String name) {
        Method m = ALL.get(name);
        if (m == null) {
            throw new IllegalArgumentException("unknown method '" + name + "' (known: " + String.join(", ", names())
                    + ")");
        }
        return m;
    }
}

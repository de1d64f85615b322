package dev.qvgen.quantizer.deploy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.io.WeightSource;
import dev.qvgen.layers.io.WeightSources;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.qat.ClipGroupRule;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The authors' released QVGen transformers (ModelTC/QVGen, W4A4 Wan2.1-1.3B and CogVideoX-2B):
 * the state dict of a diffusers transformer whose {@code nn.Linear}s were replaced by the official
 * {@code QuantLinear} (training/quant/quant.py), saved by {@code save_pretrained}. For a quantized
 * layer {@code <n>} it holds
 * <ul>
 *   <li>{@code <n>.w}, {@code <n>.b}: the latent weight (out, in) and bias (the layer's own, renamed);
 *   <li>{@code <n>.wquantizer.scale}, {@code <n>.wquantizer.zero_point}: LSQ+ step size and real zero
 *       point, (out, 1), per output channel;
 *   <li>{@code <n>.aquantizer.lower}, {@code <n>.aquantizer.upper}: the clip logits (G) of the learnable
 *       clipped dynamic per-token activation quantizer (ratio {@code 0.95 * sigmoid(logit)});
 *   <li>optionally {@code <n>.loraA.weight} (r, in) and {@code <n>.loraB.weight} (out, r), merged as
 *       {@code w + loraB @ loraA} as inference/wan.py does; {@code <n>.wquantizer.L|R} (a Φ not decayed
 *       away) and {@code ps} (AdaSTE) are not used at inference and are ignored, as there.
 * </ul>
 * Every other parameter keeps its diffusers name. Which layers are quantized is read from the file
 * (those with a {@code wquantizer.scale}), as the official inference does; the official training
 * quantizes every {@code nn.Linear} of the transformer, embeddings and output projection included.
 * The bit widths are not stored; they are the official scripts' {@code --w_bit}/{@code --act_bit}.
 *
 * <p>The loaded layers compute what the official {@code QuantLinear} computes: LSQ+ with the
 * gradient-scaling identity {@code (s - s g) + s g} (g = 1 / sqrt(in (2^b - 1))) applied to s and z
 * as its forward pass does, codes {@code clamp(round(w / s + z), 0, 2^b - 1)}, and the clipped dynamic
 * activation quantizer with the chosen {@link ClipGroupRule} (the official inference's by default).
 * Arithmetic is float32 from the stored values (bf16 tensors are widened exactly); the official
 * inference runs in bf16, so codes at rounding ties can differ.
 */
public final class ReleasedQvgenCheckpoint {
    /** The file inside a released checkpoint directory (or its sharded index). */
    public static final String BASE_NAME = "diffusion_pytorch_model";

    /**
     * @param weightBits the official {@code --w_bit} (4 for the released W4A4 models)
     * @param activationBits the official {@code --act_bit}
     * @param groupRule how the clip group is chosen; {@link ClipGroupRule#CALL_COUNTDOWN} reproduces the
     *        official inference
     */
    public record Options(int weightBits, int activationBits, ClipGroupRule groupRule) {
        public static Options officialW4A4() {
            return new Options(4, 4, ClipGroupRule.CALL_COUNTDOWN);
        }
    }

    private ReleasedQvgenCheckpoint() {}

    /** Whether {@code source} (a file or a directory) holds official {@code QuantLinear} tensors. */
    public static boolean looksReleased(Path source) {
        try (WeightSource w = open(source)) {
            return w.names().stream().anyMatch(n -> n.endsWith(".wquantizer.scale"));
        } catch (CheckpointException e) {
            return false;
        }
    }

    /**
     * Loads a released checkpoint into {@code root} (the same architecture, e.g. a pipeline's
     * transformer): plain parameters are overwritten, and each quantized layer gets a
     * {@link DeployedLinearKernel}, as {@link PackedExport#load} does for this harness's exports.
     *
     * @param source a {@code transformer/} directory ({@code diffusion_pytorch_model.safetensors} or its
     *        index), or a safetensors file
     */
    public static Map<String, DeployedLinearKernel> load(Path source, Module root, NDManager manager, Options o) {
        Map<String, PackedLinear> packed = new LinkedHashMap<>();
        try (WeightSource w = open(source)) {
            Map<String, Linear> linears = LayerSelection.linears(root, p -> true);
            Set<String> unused = new TreeSet<>(w.names());
            for (String name : w.names()) {
                if (!name.endsWith(".wquantizer.scale")) {
                    continue;
                }
                String layer = name.substring(0, name.length() - ".wquantizer.scale".length());
                Linear l = linears.get(layer);
                if (l == null) {
                    throw new CheckpointException(w.describe() + ": quantized layer " + layer
                            + " is not a linear layer of the model");
                }
                packed.put(layer, pack(w, layer, l, o, manager, unused));
            }
            if (packed.isEmpty()) {
                throw new CheckpointException(w.describe() + ": no quantized layers (no <layer>.wquantizer.scale "
                        + "tensors); not a released QVGen checkpoint");
            }
            List<String> missing = new ArrayList<>();
            for (var e : root.namedParameters().entrySet()) {
                String name = e.getKey();
                String target = sourceName(name, packed);
                if (target == null) {
                    continue; // the quantized weight, packed above
                }
                if (!w.names().contains(target)) {
                    missing.add(target);
                    continue;
                }
                try (NDArray v = w.load(target, manager)) {
                    if (!v.getShape().equals(e.getValue().getArray().getShape())) {
                        throw new CheckpointException(w.describe() + ": tensor " + target + " has shape "
                                + v.getShape() + ", expected " + e.getValue().getArray().getShape());
                    }
                    e.getValue().getArray().set(v.toByteBuffer());
                }
                unused.remove(target);
            }
            if (!missing.isEmpty()) {
                throw new CheckpointException(w.describe() + ": missing " + missing.size() + " tensors ("
                        + String.join(", ", missing.subList(0, Math.min(5, missing.size())))
                        + (missing.size() > 5 ? ", ..." : "") + ")");
            }
            unused.removeIf(n -> n.endsWith(".wquantizer.L") || n.endsWith(".wquantizer.R") || n.endsWith(".ps"));
            if (!unused.isEmpty()) {
                throw new CheckpointException(w.describe() + ": " + unused.size() + " tensors the model has no place "
                        + "for (" + String.join(", ", new ArrayList<>(unused).subList(0, Math.min(5, unused.size())))
                        + (unused.size() > 5 ? ", ..." : "") + "); is it the checkpoint of another architecture?");
            }
        }
        Map<String, Linear> linears = LayerSelection.linears(root, packed::containsKey);
        Map<String, DeployedLinearKernel> kernels = new LinkedHashMap<>();
        packed.forEach((name, p) -> {
            Linear l = linears.get(name);
            if (l.kernel() instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception ex) {
                    throw new IllegalStateException(ex);
                }
            }
            DeployedLinearKernel k = new DeployedLinearKernel(p, manager);
            l.setKernel(k);
            kernels.put(name, k);
        });
        return kernels;
    }

    /** The checkpoint's name of a model parameter, or null for a quantized layer's weight. */
    private static String sourceName(String param, Map<String, PackedLinear> packed) {
        for (String suffix : new String[] {".weight", ".bias"}) {
            if (param.endsWith(suffix)) {
                String layer = param.substring(0, param.length() - suffix.length());
                if (packed.containsKey(layer)) {
                    return suffix.equals(".weight") ? null : layer + ".b";
                }
            }
        }
        return param;
    }

    private static PackedLinear pack(WeightSource w, String layer, Linear l, Options o, NDManager manager,
            Set<String> unused) {
        int out = l.outFeatures();
        int in = l.inFeatures();
        float[] weight = floats(w, layer + ".w", (long) out * in, manager, unused);
        if (w.names().contains(layer + ".loraA.weight")) {
            float[] a = floats(w, layer + ".loraA.weight", -1, manager, unused);
            int rank = a.length / in;
            float[] b = floats(w, layer + ".loraB.weight", (long) out * rank, manager, unused);
            for (int r = 0; r < out; r++) {
                for (int c = 0; c < in; c++) {
                    float acc = 0f;
                    for (int k = 0; k < rank; k++) {
                        acc += b[r * rank + k] * a[k * in + c];
                    }
                    weight[r * in + c] += acc;
                }
            }
        }
        float[] scale = floats(w, layer + ".wquantizer.scale", out, manager, unused);
        float[] zero = floats(w, layer + ".wquantizer.zero_point", out, manager, unused);
        float[] lower = floats(w, layer + ".aquantizer.lower", -1, manager, unused);
        float[] upper = floats(w, layer + ".aquantizer.upper", lower.length, manager, unused);
        int levels = (1 << o.weightBits()) - 1;
        // LSQQuantizer.forward with use_grad_scaling: grad_scale(t, g) = (t - t g).detach() + t g, whose
        // value can differ from t in the last bit; the forward pass quantizes with that value.
        float g = (float) (1.0 / Math.sqrt((double) in * levels));
        int[] codes = new int[out * in];
        for (int r = 0; r < out; r++) {
            float sg = scale[r] * g;
            float zg = zero[r] * g;
            scale[r] = (scale[r] - sg) + sg;
            zero[r] = (zero[r] - zg) + zg;
            for (int c = 0; c < in; c++) {
                float q = (float) Math.rint(weight[r * in + c] / scale[r] + zero[r]);
                codes[r * in + c] = (int) Math.min(levels, Math.max(0f, q));
            }
        }
        return PackedLinear.of(out, in, o.weightBits(), codes, scale, zero,
                PackedLinear.ActivationSpec.clipped(o.activationBits(), lower, upper, o.groupRule()));
    }

    private static float[] floats(WeightSource w, String name, long numel, NDManager manager, Set<String> unused) {
        if (!w.names().contains(name)) {
            throw new CheckpointException(w.describe() + ": missing tensor " + name);
        }
        try (NDArray a = w.load(name, manager)) {
            if (numel >= 0 && a.size() != numel) {
                throw new CheckpointException(w.describe() + ": tensor " + name + " has " + a.size()
                        + " elements, expected " + numel);
            }
            unused.remove(name);
            return a.toFloatArray();
        }
    }

    private static WeightSource open(Path source) {
        if (Files.isDirectory(source)) {
            return WeightSources.open(source, BASE_NAME);
        }
        return SafeTensorsFile.open(source);
    }
}

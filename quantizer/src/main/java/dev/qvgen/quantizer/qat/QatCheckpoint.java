package dev.qvgen.quantizer.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.io.SafeTensorsWriter;
import dev.qvgen.layers.nn.Module;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The state of a QAT run as one safetensors file (written atomically): the model's own
 * parameters by their names plus, per quantized layer, {@code <layer>.weight_quantizer.scale|zero}
 * and {@code <layer>.act_quantizer.lower|upper}; Φ only while it exists ({@code <layer>.phi.left|right},
 * its rank in the metadata key {@code rank:<layer>}); and any extra tensors (optimizer moments).
 */
public final class QatCheckpoint {
    private QatCheckpoint() {}

    public static void save(Path file, Module model, QatLayers layers, Map<String, NDArray> extra,
            Map<String, String> metadata) throws IOException {
        Map<String, NDArray> t = new LinkedHashMap<>();
        model.namedParameters().forEach((k, p) -> t.put(k, p.getArray()));
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        layers.kernels().forEach((name, k) -> {
            t.put(name + ".weight_quantizer.scale", k.weightQuantizer().scale());
            t.put(name + ".weight_quantizer.zero", k.weightQuantizer().zero());
            t.put(name + ".act_quantizer.lower", k.activationQuantizer().lowerLogits());
            t.put(name + ".act_quantizer.upper", k.activationQuantizer().upperLogits());
            if (k.phi() != null) {
                t.put(name + ".phi.left", k.phi().left());
                t.put(name + ".phi.right", k.phi().right());
                meta.put("rank:" + name, String.valueOf(k.phi().rank()));
            }
            if (k.lora() != null) {
                t.put(name + ".lora.down", k.lora().down());
                t.put(name + ".lora.up", k.lora().up());
            }
        });
        t.putAll(extra);
        SafeTensorsWriter.write(file, t, meta);
    }

    /**
     * Overwrites the arrays of {@code model} and of already installed {@code layers} (same spec,
     * same initial Φ shapes) with the checkpoint's; layers whose Φ the checkpoint lacks lose theirs.
     * Tensors whose names start with {@code extraPrefix} are returned (loaded into {@code manager});
     * the checkpoint's metadata goes into {@code metadataOut}.
     */
    public static Map<String, NDArray> load(Path file, Module model, QatLayers layers, NDManager manager,
            String extraPrefix, Map<String, String> metadataOut) {
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            model.namedParameters().forEach((k, p) -> f.loadInto(k, p.getArray(), manager));
            layers.kernels().forEach((name, k) -> {
                f.loadInto(name + ".weight_quantizer.scale", k.weightQuantizer().scale(), manager);
                f.loadInto(name + ".weight_quantizer.zero", k.weightQuantizer().zero(), manager);
                f.loadInto(name + ".act_quantizer.lower", k.activationQuantizer().lowerLogits(), manager);
                f.loadInto(name + ".act_quantizer.upper", k.activationQuantizer().upperLogits(), manager);
                if (k.phi() != null) {
                    if (!f.names().contains(name + ".phi.left")) {
                        k.removePhi();
                    } else {
                        f.loadInto(name + ".phi.left", k.phi().left(), manager);
                        f.loadInto(name + ".phi.right", k.phi().right(), manager);
                        String r = f.metadata().get("rank:" + name);
                        if (r == null) {
                            throw new CheckpointException(f.describe() + ": no rank recorded for Φ of " + name);
                        }
                        k.phi().restoreRank(Integer.parseInt(r));
                    }
                }
                if (k.lora() != null) {
                    f.loadInto(name + ".lora.down", k.lora().down(), manager);
                    f.loadInto(name + ".lora.up", k.lora().up(), manager);
                }
            });
            metadataOut.putAll(f.metadata());
            Map<String, NDArray> extra = new LinkedHashMap<>();
            for (String n : f.names()) {
                if (n.startsWith(extraPrefix)) {
                    extra.put(n, f.load(n, manager));
                }
            }
            return extra;
        }
    }
}

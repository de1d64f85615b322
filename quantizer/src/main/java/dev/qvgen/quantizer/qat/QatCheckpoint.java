package dev.qvgen.quantizer.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.models.io.CheckpointException;
import dev.qvgen.models.io.SafeTensorsFile;
import dev.qvgen.models.io.SafeTensorsWriter;
import dev.qvgen.models.nn.Module;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A trained QAT model as one safetensors file: the model's own parameters by their names plus,
 * per quantized layer, {@code <layer>.weight_quantizer.scale|zero} and
 * {@code <layer>.act_quantizer.lower|upper}; Φ is saved only while it exists
 * ({@code <layer>.phi.left|right}, rank in the metadata).
 */
public final class QatCheckpoint {
    private QatCheckpoint() {}

    public static void save(Path file, Module model, QatLayers layers, Map<String, String> metadata) throws IOException {
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
        });
        SafeTensorsWriter.write(file, t, meta);
    }

    /**
     * Overwrites the arrays of {@code model} and of already installed {@code layers} (same spec)
     * with the checkpoint's; layers whose Φ the checkpoint lacks lose theirs.
     */
    public static void load(Path file, Module model, QatLayers layers, NDManager manager) {
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            model.namedParameters().forEach((k, p) -> copy(f, k, p.getArray(), manager));
            layers.kernels().forEach((name, k) -> {
                copy(f, name + ".weight_quantizer.scale", k.weightQuantizer().scale(), manager);
                copy(f, name + ".weight_quantizer.zero", k.weightQuantizer().zero(), manager);
                copy(f, name + ".act_quantizer.lower", k.activationQuantizer().lowerLogits(), manager);
                copy(f, name + ".act_quantizer.upper", k.activationQuantizer().upperLogits(), manager);
                if (k.phi() != null && !f.names().contains(name + ".phi.left")) {
                    k.removePhi();
                }
            });
        }
    }

    private static void copy(SafeTensorsFile f, String name, NDArray target, NDManager manager) {
        if (!f.names().contains(name)) {
            throw new CheckpointException(f.describe() + ": missing tensor " + name);
        }
        try (NDArray v = f.load(name, manager)) {
            if (!v.getShape().equals(target.getShape())) {
                throw new CheckpointException(f.describe() + ": tensor " + name + " has shape " + v.getShape()
                        + ", expected " + target.getShape());
            }
            target.subi(target).addi(v.toDevice(target.getDevice(), false));
        }
    }
}

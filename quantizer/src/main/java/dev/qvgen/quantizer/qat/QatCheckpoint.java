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
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

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
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        Map<String, NDArray> t = tensors(model, layers, meta);
        t.putAll(extra);
        SafeTensorsWriter.write(file, t, meta);
    }

    /**
     * The trained tensors of a checkpoint by name (the arrays themselves, not copies); Φ's ranks
     * go into {@code metaOut}.
     */
    public static Map<String, NDArray> tensors(Module model, QatLayers layers, Map<String, String> metaOut) {
        Map<String, NDArray> t = new LinkedHashMap<>();
        model.namedParameters().forEach((k, p) -> t.put(k, p.getArray()));
        layers.kernels().forEach((name, k) -> {
            t.put(name + ".weight_quantizer.scale", k.weightQuantizer().scale());
            t.put(name + ".weight_quantizer.zero", k.weightQuantizer().zero());
            t.put(name + ".act_quantizer.lower", k.activationQuantizer().lowerLogits());
            t.put(name + ".act_quantizer.upper", k.activationQuantizer().upperLogits());
            if (k.phi() != null) {
                t.put(name + ".phi.left", k.phi().left());
                t.put(name + ".phi.right", k.phi().right());
                metaOut.put("rank:" + name, String.valueOf(k.phi().rank()));
            }
            if (k.lora() != null) {
                t.put(name + ".lora.down", k.lora().down());
                t.put(name + ".lora.up", k.lora().up());
            }
        });
        return t;
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
            return load(List.of(f), model, layers, manager, extraPrefix, metadataOut, a -> true);
        }
    }

    /**
     * {@link #load(Path, Module, QatLayers, NDManager, String, Map)} from a checkpoint whose trained
     * tensors are spread over {@code files} (the first one holds the metadata and the extras; a
     * weight-sharded checkpoint's shards hold the tensors), into the arrays {@code wanted} accepts
     * only (weight sharding: the ones this rank owns; the others hold nothing to load into).
     */
    static Map<String, NDArray> load(List<SafeTensorsFile> files, Module model, QatLayers layers,
            NDManager manager, String extraPrefix, Map<String, String> metadataOut, Predicate<NDArray> wanted) {
        SafeTensorsFile head = files.get(0);
        Map<String, SafeTensorsFile> byName = new LinkedHashMap<>();
        for (SafeTensorsFile f : files) {
            for (String n : f.names()) {
                if (!n.startsWith(extraPrefix)) {
                    byName.putIfAbsent(n, f);
                }
            }
        }
        java.util.function.BiConsumer<String, NDArray> into = (name, target) -> {
            if (wanted.test(target)) {
                byName.getOrDefault(name, head).loadInto(name, target, manager);
            }
        };
        model.namedParameters().forEach((k, p) -> into.accept(k, p.getArray()));
        layers.kernels().forEach((name, k) -> {
            into.accept(name + ".weight_quantizer.scale", k.weightQuantizer().scale());
            into.accept(name + ".weight_quantizer.zero", k.weightQuantizer().zero());
            into.accept(name + ".act_quantizer.lower", k.activationQuantizer().lowerLogits());
            into.accept(name + ".act_quantizer.upper", k.activationQuantizer().upperLogits());
            if (k.phi() != null) {
                if (!byName.containsKey(name + ".phi.left")) {
                    k.removePhi();
                } else {
                    into.accept(name + ".phi.left", k.phi().left());
                    into.accept(name + ".phi.right", k.phi().right());
                    String r = head.metadata().get("rank:" + name);
                    if (r == null) {
                        throw new CheckpointException(head.describe() + ": no rank recorded for Φ of " + name);
                    }
                    k.phi().restoreRank(Integer.parseInt(r));
                }
            }
            if (k.lora() != null) {
                into.accept(name + ".lora.down", k.lora().down());
                into.accept(name + ".lora.up", k.lora().up());
            }
        });
        metadataOut.putAll(head.metadata());
        Map<String, NDArray> extra = new LinkedHashMap<>();
        for (String n : head.names()) {
            if (n.startsWith(extraPrefix)) {
                extra.put(n, head.load(n, manager));
            }
        }
        return extra;
    }
}

package dev.qvgen.quantizer;

import dev.qvgen.layers.nn.Module;

import java.util.List;
import java.util.function.Predicate;

/** A way to quantize a model's linear layers in place; returns the paths it quantized. */
public interface QuantizationMethod {
    String name();

    List<String> apply(Module root, QuantSpec spec, Predicate<String> select);
}

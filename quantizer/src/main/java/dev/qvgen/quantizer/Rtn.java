package dev.qvgen.quantizer;

import ai.djl.ndarray.NDScope;

import dev.qvgen.models.nn.Linear;
import dev.qvgen.models.nn.LinearKernel;
import dev.qvgen.models.nn.Module;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Round-to-nearest post-training quantization of a model's selected linear layers. */
public final class Rtn implements QuantizationMethod {
    @Override
    public String name() {
        return "rtn";
    }

    @Override
    public List<String> apply(Module root, QuantSpec spec, Predicate<String> select) {
        Map<String, Linear> layers = LayerSelection.linears(root, select);
        List<String> done = new ArrayList<>();
        layers.forEach((path, layer) -> {
            RtnLinearKernel k = new RtnLinearKernel(layer, spec);
            // Installed kernels outlive any scope the caller has open.
            NDScope.unregister(k.quantizedWeight());
            layer.setKernel(k);
            done.add(path);
        });
        return done;
    }

    /** Puts every selected layer back to full precision. */
    public static void restore(Module root) {
        LayerSelection.linears(root, p -> true).values().forEach(l -> {
            if (l.kernel() instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            l.setKernel(LinearKernel.DENSE);
        });
    }
}

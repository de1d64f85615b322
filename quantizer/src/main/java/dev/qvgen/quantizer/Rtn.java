package dev.qvgen.quantizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.LinearKernel;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.quantizer.deploy.PackedLinear;

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
        return apply(root, spec, select, DenseWeight.KEEP);
    }

    /** As {@link #apply(Module, QuantSpec, Predicate)}, with the layers' dense weights kept, freed or parked. */
    public List<String> apply(Module root, QuantSpec spec, Predicate<String> select, DenseWeight dense) {
        Map<String, Linear> layers = LayerSelection.linears(root, select);
        List<String> done = new ArrayList<>();
        layers.forEach((path, layer) -> {
            new RtnLinearKernel(layer, spec).install(layer, dense);
            done.add(path);
        });
        return done;
    }

    /**
     * The deployable form of RTN for one layer: signed codes shifted by {@code 2^(b-1)} into
     * unsigned ones with that zero point, so {@code s (q - z)} equals the fake-quantized weight.
     */
    public static PackedLinear pack(Linear layer, QuantSpec spec) {
        int bits = spec.weightBits();
        try (NDManager m = layer.weight().getManager().newSubManager()) {
            NDArray w = layer.weight().duplicate();
            w.attach(m);
            NDArray scale = UniformQuantizer.weightScale(w, bits);
            // read back as float32: integer codes, and a bfloat16 scale widens exactly
            float[] codes = UniformQuantizer.weightCodes(w, scale, bits).toType(DataType.FLOAT32, false).toFloatArray();
            int offset = 1 << (bits - 1);
            int[] q = new int[codes.length];
            for (int i = 0; i < q.length; i++) {
                q[i] = (int) codes[i] + offset;
            }
            float[] zero = new float[layer.outFeatures()];
            java.util.Arrays.fill(zero, offset);
            return PackedLinear.of(layer.outFeatures(), layer.inFeatures(), bits, q,
                    scale.toType(DataType.FLOAT32, false).toFloatArray(), zero,
                    PackedLinear.ActivationSpec.dynamic(spec.activationBits()));
        }
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

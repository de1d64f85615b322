package dev.qvgen.quantizer.ptq;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.LinearKernel;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.quantizer.LayerSelection;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Calibration for post-training methods: while installed, every selected layer records the
 * largest |x| of each input channel over all calls (full-precision outputs are unchanged).
 */
public final class ChannelStats implements AutoCloseable {
    private final Map<String, Linear> layers;
    private final Map<String, float[]> absMax = new LinkedHashMap<>();

    private ChannelStats(Map<String, Linear> layers) {
        this.layers = layers;
    }

    public static ChannelStats observe(Module root, Predicate<String> select) {
        ChannelStats stats = new ChannelStats(LayerSelection.linears(root, select));
        stats.layers.forEach((name, l) -> {
            stats.absMax.put(name, new float[l.inFeatures()]);
            l.setKernel(new Observer(stats.absMax.get(name)));
        });
        return stats;
    }

    /** Per-input-channel max |x| seen so far, by layer path. */
    public Map<String, float[]> absMax() {
        return absMax;
    }

    /** Puts the layers back to their dense kernel. */
    @Override
    public void close() {
        layers.values().forEach(l -> l.setKernel(LinearKernel.DENSE));
    }

    private record Observer(float[] max) implements LinearKernel {
        @Override
        public NDArray apply(Linear layer, NDArray x) {
            long c = x.getShape().get(x.getShape().dimension() - 1);
            try (NDArray m = x.abs().reshape(-1, c).max(new int[] {0})) {
                float[] v = m.toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    max[i] = Math.max(max[i], v[i]);
                }
            }
            return layer.dense(x);
        }
    }
}

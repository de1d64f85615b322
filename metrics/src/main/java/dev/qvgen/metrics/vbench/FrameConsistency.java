package dev.qvgen.metrics.vbench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.backbone.VBenchTransforms;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * VBench's frame-feature consistency (subject_consistency.py, background_consistency.py):
 * <pre>
 *   f_i       = feature of frame i / ||feature||
 *   pair i>0  : (max(0, cos(f_{i-1}, f_i)) + max(0, cos(f_0, f_i))) / 2
 *   video     = sum of pairs / (frames - 1)          ("video_sim" = the sum, "pairs" = frames - 1)
 * </pre>
 * The dimension's overall mean is {@code sum(video_sim) / sum(pairs)} over all videos, which
 * {@link VBenchResults} computes from these details.
 */
final class FrameConsistency {
    static final int BATCH = 8;

    private FrameConsistency() {}

    /** Features (one row per image) of images batched through {@code encoder}, in float. */
    static float[][] features(List<VBenchTransforms.Image> images, Device device, Function<NDArray, NDArray> encoder) {
        float[][] out = new float[images.size()][];
        for (int start = 0; start < images.size(); start += BATCH) {
            int end = Math.min(images.size(), start + BATCH);
            try (NDManager m = NDManager.newBaseManager(device)) {
                NDList batch = new NDList();
                for (int i = start; i < end; i++) {
                    VBenchTransforms.Image im = images.get(i);
                    batch.add(m.create(im.chw(), new Shape(3, im.height(), im.width())));
                }
                NDArray feats = encoder.apply(NDArrays.stack(batch));
                long dim = feats.getShape().get(1);
                float[] flat = feats.toFloatArray();
                for (int i = start; i < end; i++) {
                    out[i] = new float[(int) dim];
                    System.arraycopy(flat, (int) ((i - start) * dim), out[i], 0, (int) dim);
                }
            }
        }
        return out;
    }

    static MetricResult score(float[][] features, String backbone) {
        int frames = features.length;
        if (frames < 2) {
            return new MetricResult(Double.NaN, Map.of("reason", "needs at least 2 frames", "backbone", backbone));
        }
        double[][] f = new double[frames][];
        for (int i = 0; i < frames; i++) {
            f[i] = normalize(features[i]);
        }
        double sum = 0;
        List<String> perPair = new ArrayList<>();
        for (int i = 1; i < frames; i++) {
            double pre = Math.max(0.0, dot(f[i - 1], f[i]));
            double first = Math.max(0.0, dot(f[0], f[i]));
            double pair = (pre + first) / 2;
            sum += pair;
            perPair.add(String.format("%.6f", pair));
        }
        Map<String, String> details = new LinkedHashMap<>();
        details.put("backbone", backbone);
        details.put("video_sim", Double.toString(sum));
        details.put("pairs", Integer.toString(frames - 1));
        details.put("frames", Integer.toString(frames));
        return new MetricResult(sum / (frames - 1), details);
    }

    /** F.normalize(p=2): x / max(||x||, 1e-12). */
    private static double[] normalize(float[] x) {
        double n = 0;
        for (float v : x) {
            n += (double) v * v;
        }
        n = Math.max(Math.sqrt(n), 1e-12);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] / n;
        }
        return out;
    }

    /** Cosine of unit vectors (F.cosine_similarity divides by the norms, which are 1 here). */
    private static double dot(double[] a, double[] b) {
        double s = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return s / Math.max(Math.sqrt(na * nb), 1e-8);
    }
}

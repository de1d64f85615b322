package dev.qvgen.suites.vbench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * VBench's sixteen dimensions and its final-score constants (scripts/constant.py and
 * scripts/cal_final_score.py): each dimension's mean is normalised to
 * {@code (mean - Min) / (Max - Min) * weight}; the Quality score is the sum over the quality
 * dimensions divided by the sum of their weights, the Semantic score likewise, and
 * {@code Total = (4 * Quality + 1 * Semantic) / 5}.
 */
public final class VBenchDimensions {
    private VBenchDimensions() {}

    /** Normalisation range and weight of one dimension. */
    public record Norm(double min, double max, double weight) {
        public double apply(double mean) {
            return (mean - min) / (max - min) * weight;
        }
    }

    public static final List<String> QUALITY = List.of("subject_consistency", "background_consistency",
            "temporal_flickering", "motion_smoothness", "aesthetic_quality", "imaging_quality", "dynamic_degree");

    public static final List<String> SEMANTIC = List.of("object_class", "multiple_objects", "human_action", "color",
            "spatial_relationship", "scene", "appearance_style", "temporal_style", "overall_consistency");

    /** All sixteen, in VBench's TASK_INFO order. */
    public static final List<String> ALL = List.of("subject_consistency", "background_consistency",
            "temporal_flickering", "motion_smoothness", "dynamic_degree", "aesthetic_quality", "imaging_quality",
            "object_class", "multiple_objects", "human_action", "color", "spatial_relationship", "scene",
            "appearance_style", "temporal_style", "overall_consistency");

    /**
     * The eight dimensions of the QVGen paper's tables (Table 1: imaging quality, aesthetic
     * quality, motion smoothness, dynamic degree, background consistency, subject consistency,
     * scene consistency, overall consistency), in VBench's order.
     */
    public static final List<String> PAPER = List.of("subject_consistency", "background_consistency",
            "motion_smoothness", "dynamic_degree", "aesthetic_quality", "imaging_quality", "scene",
            "overall_consistency");

    public static final double QUALITY_WEIGHT = 4;
    public static final double SEMANTIC_WEIGHT = 1;

    public static final Map<String, Norm> NORMS = norms();

    private static Map<String, Norm> norms() {
        Map<String, Norm> m = new LinkedHashMap<>();
        m.put("subject_consistency", new Norm(0.1462, 1.0, 1));
        m.put("background_consistency", new Norm(0.2615, 1.0, 1));
        m.put("temporal_flickering", new Norm(0.6293, 1.0, 1));
        m.put("motion_smoothness", new Norm(0.706, 0.9975, 1));
        m.put("dynamic_degree", new Norm(0.0, 1.0, 0.5));
        m.put("aesthetic_quality", new Norm(0.0, 1.0, 1));
        m.put("imaging_quality", new Norm(0.0, 1.0, 1));
        m.put("object_class", new Norm(0.0, 1.0, 1));
        m.put("multiple_objects", new Norm(0.0, 1.0, 1));
        m.put("human_action", new Norm(0.0, 1.0, 1));
        m.put("color", new Norm(0.0, 1.0, 1));
        m.put("spatial_relationship", new Norm(0.0, 1.0, 1));
        m.put("scene", new Norm(0.0, 0.8222, 1));
        m.put("appearance_style", new Norm(0.0009, 0.2855, 1));
        m.put("temporal_style", new Norm(0.0, 0.364, 1));
        m.put("overall_consistency", new Norm(0.0, 0.364, 1));
        return Map.copyOf(m);
    }

    public static boolean isDimension(String name) {
        return NORMS.containsKey(name);
    }

    /**
     * For dimensions whose overall mean VBench takes over frames or frame pairs rather than
     * videos ({@code sim / cnt} summed across videos): the detail keys of each video's sum and
     * count; null for a plain mean over videos.
     */
    public static String[] weightedKeys(String name) {
        return switch (name) {
            case "subject_consistency", "background_consistency" -> new String[] {"video_sim", "pairs"};
            case "appearance_style" -> new String[] {"frame_sum", "frames"};
            case "scene" -> new String[] {"success_frame_count", "frame_count"};
            default -> null;
        };
    }
}

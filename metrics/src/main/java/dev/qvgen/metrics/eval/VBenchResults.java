package dev.qvgen.metrics.eval;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

import dev.qvgen.suites.vbench.VBenchDimensions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * Turns per-video records into VBench's outputs:
 * <ul>
 * <li>{@code <name>_eval_results.json}: {@code {dimension: [mean, [{video_path, video_results}, ...]]}},
 *     the structure VBench's evaluate.py writes and its cal_final_score.py reads (dynamic_degree
 *     results are booleans, imaging_quality results are raw MUSIQ means (0..100) and
 *     background_consistency entries carry video_sim / cnt_per_video, as in VBench);</li>
 * <li>{@code <name>_per_video.csv}: one row per video, one column per dimension, errors included;</li>
 * <li>{@code <name>_scores.json}: each dimension's mean and normalised score, and the Quality,
 *     Semantic and Total scores by VBench's constants. A total that needs a dimension which is
 *     unavailable or has no scored video is null, with the missing dimensions listed; the
 *     weighted means over what is available are reported under separate "partial" keys.</li>
 * </ul>
 */
public final class VBenchResults {
    static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
            .disableHtmlEscaping().serializeNulls().create();

    private VBenchResults() {}

    /** A dimension's overall mean as VBench computes it, and how many videos it covers. */
    public record DimensionMean(double mean, int videos) {
    }

    /** Means of the dimensions with at least one scored video, in the given order. */
    public static Map<String, DimensionMean> means(List<EvalRecord> records, List<String> dimensions) {
        Map<String, DimensionMean> out = new LinkedHashMap<>();
        for (String d : dimensions) {
            double sum = 0;
            double pairs = 0;
            int n = 0;
            for (EvalRecord r : records) {
                Double v = r.results().get(d);
                if (!r.ok() || v == null) {
                    continue;
                }
                n++;
                String[] keys = VBenchDimensions.weightedKeys(d);
                if (keys != null) {
                    Map<String, String> det = r.details().getOrDefault(d, Map.of());
                    sum += Double.parseDouble(det.getOrDefault(keys[0], "NaN"));
                    pairs += Double.parseDouble(det.getOrDefault(keys[1], "NaN"));
                } else {
                    sum += v;
                }
            }
            if (n > 0) {
                out.put(d, new DimensionMean(VBenchDimensions.weightedKeys(d) != null ? sum / pairs : sum / n, n));
            }
        }
        return out;
    }

    /** VBench's {@code *_eval_results.json} object. */
    public static JsonObject evalResults(List<EvalRecord> records, List<String> dimensions) {
        JsonObject root = new JsonObject();
        Map<String, DimensionMean> means = means(records, dimensions);
        for (var e : means.entrySet()) {
            String d = e.getKey();
            JsonArray videos = new JsonArray();
            for (EvalRecord r : records) {
                Double v = r.results().get(d);
                if (!r.ok() || v == null) {
                    continue;
                }
                JsonObject o = new JsonObject();
                o.addProperty("video_path", r.videoPath());
                if (d.equals("dynamic_degree")) {
                    o.addProperty("video_results", v >= 0.5); // VBench stores whether the video moves
                } else if (d.equals("human_action")) {
                    // VBench stores whether the action was recognised, and the count (0 or 1)
                    o.addProperty("video_results", v >= 0.5);
                    o.addProperty("cor_num_per_video", v >= 0.5 ? 1 : 0);
                } else if (d.equals("imaging_quality")) {
                    // VBench lists each video's raw MUSIQ mean (0..100); only the dimension is / 100
                    o.addProperty("video_results", Double.parseDouble(r.details().getOrDefault(d, Map.of())
                            .getOrDefault("mean_musiq", Double.toString(v * 100))));
                } else {
                    o.addProperty("video_results", v);
                }
                if (d.equals("background_consistency")) {
                    Map<String, String> det = r.details().getOrDefault(d, Map.of());
                    o.addProperty("video_sim", Double.parseDouble(det.getOrDefault("video_sim", "NaN")));
                    o.addProperty("cnt_per_video", Integer.parseInt(det.getOrDefault("pairs", "0")));
                }
                if (d.equals("scene")) {
                    Map<String, String> det = r.details().getOrDefault(d, Map.of());
                    o.addProperty("success_frame_count", Integer.parseInt(det.getOrDefault("success_frame_count", "0")));
                    o.addProperty("frame_count", Integer.parseInt(det.getOrDefault("frame_count", "0")));
                }
                if (d.equals("appearance_style")) {
                    // VBench also lists every frame's similarity and the last one ("cur_sim")
                    JsonArray frames = new JsonArray();
                    String fr = r.details().getOrDefault(d, Map.of()).getOrDefault("frame_results", "");
                    for (String x : fr.isEmpty() ? new String[0] : fr.split(",")) {
                        frames.add(Double.parseDouble(x));
                    }
                    o.add("frame_results", frames);
                    if (!frames.isEmpty()) {
                        o.add("cur_sim", frames.get(frames.size() - 1));
                    }
                }
                videos.add(o);
            }
            JsonArray pair = new JsonArray();
            pair.add(e.getValue().mean());
            pair.add(videos);
            root.add(d, pair);
        }
        return root;
    }

    /**
     * The normalised and total scores.
     *
     * @param unavailable dimension -> reason, for requested dimensions that were not computed
     */
    public static JsonObject scores(List<EvalRecord> records, List<String> dimensions,
            Map<String, String> unavailable) {
        Map<String, DimensionMean> means = means(records, dimensions);
        JsonObject dims = new JsonObject();
        Map<String, Double> normalized = new LinkedHashMap<>();
        for (String d : VBenchDimensions.ALL) {
            JsonObject o = new JsonObject();
            if (means.containsKey(d)) {
                double norm = VBenchDimensions.NORMS.get(d).apply(means.get(d).mean());
                normalized.put(d, norm);
                o.addProperty("mean", means.get(d).mean());
                o.addProperty("normalized", norm);
                o.addProperty("videos", means.get(d).videos());
            } else if (unavailable.containsKey(d)) {
                o.addProperty("unavailable", unavailable.get(d));
            } else if (dimensions.contains(d)) {
                o.addProperty("unavailable", "no video was scored on this dimension");
            } else {
                o.addProperty("unavailable", "not requested");
            }
            dims.add(d, o);
        }
        // other (non-VBench) metrics that were requested: their means only
        for (String d : dimensions) {
            if (!VBenchDimensions.isDimension(d)) {
                JsonObject o = new JsonObject();
                if (means.containsKey(d)) {
                    o.addProperty("mean", means.get(d).mean());
                    o.addProperty("videos", means.get(d).videos());
                } else {
                    o.addProperty("unavailable", unavailable.getOrDefault(d, "no video was scored on this metric"));
                }
                dims.add(d, o);
            }
        }
        JsonObject root = new JsonObject();
        root.add("dimensions", dims);
        Group quality = group(VBenchDimensions.QUALITY, normalized);
        Group semantic = group(VBenchDimensions.SEMANTIC, normalized);
        root.add("quality_score", number(quality.full()));
        root.add("semantic_score", number(semantic.full()));
        Double total = quality.full() != null && semantic.full() != null
                ? (quality.full() * VBenchDimensions.QUALITY_WEIGHT + semantic.full() * VBenchDimensions.SEMANTIC_WEIGHT)
                        / (VBenchDimensions.QUALITY_WEIGHT + VBenchDimensions.SEMANTIC_WEIGHT)
                : null;
        root.add("total_score", number(total));
        root.add("quality_missing", strings(quality.missing()));
        root.add("semantic_missing", strings(semantic.missing()));
        root.add("quality_score_partial", number(quality.partial()));
        root.add("semantic_score_partial", number(semantic.partial()));
        root.addProperty("note", "quality/semantic/total follow VBench scripts/cal_final_score.py and are null when a "
                + "dimension they need is missing (VBench would count it as 0); *_partial are the same weighted means "
                + "over the available dimensions only");
        int ok = 0;
        int failed = 0;
        for (EvalRecord r : records) {
            if (r.ok()) {
                ok++;
            } else {
                failed++;
            }
        }
        root.addProperty("videos_scored", ok);
        root.addProperty("videos_failed", failed);
        return root;
    }

    private record Group(Double full, Double partial, List<String> missing) {
    }

    private static Group group(List<String> members, Map<String, Double> normalized) {
        double sum = 0;
        double weights = 0;
        double allWeights = 0;
        List<String> missing = new ArrayList<>();
        for (String d : members) {
            double w = VBenchDimensions.NORMS.get(d).weight();
            allWeights += w;
            if (normalized.containsKey(d)) {
                sum += normalized.get(d);
                weights += w;
            } else {
                missing.add(d);
            }
        }
        Double full = missing.isEmpty() ? sum / allWeights : null;
        Double partial = weights > 0 ? sum / weights : null;
        return new Group(full, partial, missing);
    }

    private static JsonElement number(Double v) {
        return v == null ? JsonNull.INSTANCE : new JsonPrimitive(v);
    }

    private static JsonArray strings(List<String> values) {
        JsonArray a = new JsonArray();
        values.forEach(a::add);
        return a;
    }

    /** The per-video CSV: video_path, prompt, error, then one column per dimension (blank: not applicable). */
    public static void writeCsv(Path file, List<EvalRecord> records, List<String> dimensions) {
        List<String> header = new ArrayList<>(List.of("video_path", "prompt", "error"));
        header.addAll(dimensions);
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
                CSVPrinter csv = new CSVPrinter(w, CSVFormat.DEFAULT.builder()
                        .setHeader(header.toArray(String[]::new)).get())) {
            for (EvalRecord r : records) {
                List<String> row = new ArrayList<>();
                row.add(r.videoPath());
                row.add(r.prompt() == null ? "" : r.prompt());
                row.add(r.error() == null ? "" : r.error());
                for (String d : dimensions) {
                    Double v = r.results().get(d);
                    row.add(v == null ? "" : Double.toString(v));
                }
                csv.printRecord(row);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write CSV (" + e.getMessage() + ")", e);
        }
    }

    /** VBench's {@code *_full_info.json}: prompt, dimensions and video list per prompt. */
    public static JsonArray fullInfo(List<EvalRecord> records, Map<String, Set<String>> dimensionsByVideo) {
        Map<String, JsonObject> byPrompt = new LinkedHashMap<>();
        for (EvalRecord r : records) {
            String prompt = r.prompt() == null ? "" : r.prompt();
            JsonObject o = byPrompt.computeIfAbsent(prompt, p -> {
                JsonObject x = new JsonObject();
                x.addProperty("prompt_en", p);
                x.add("dimension", new JsonArray());
                x.add("video_list", new JsonArray());
                return x;
            });
            o.getAsJsonArray("video_list").add(r.videoPath());
            JsonArray dims = o.getAsJsonArray("dimension");
            for (String d : dimensionsByVideo.getOrDefault(r.videoPath(), Set.of())) {
                if (!dims.contains(new JsonPrimitive(d))) {
                    dims.add(d);
                }
            }
        }
        JsonArray out = new JsonArray();
        byPrompt.values().forEach(out::add);
        return out;
    }

    static void writeJson(Path file, JsonElement json) {
        try {
            Files.writeString(file, GSON.toJson(json) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write (" + e.getMessage() + ")", e);
        }
    }
}

package dev.qvgen.metrics.vbench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.metrics.backbone.ClipTokenizer;
import dev.qvgen.metrics.backbone.VBenchTransforms;
import dev.qvgen.video.DecodedVideo;
import dev.qvgen.metrics.viclip.ViClip;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * VBench "overall_consistency" and "temporal_style" (vbench/overall_consistency.py,
 * temporal_style.py; the two differ only in their prompt lists): 8 frames sampled in the middle
 * of 8 equal intervals ({@code read_frames_decord_by_fps(num_frames=8, sample="middle")}),
 * {@code clip_transform(224)} of the uint8 frames, ViCLIP's video embedding and the embedding
 * of the prompt (truncated to 32 tokens), both L2-normalised; a video's score is their dot
 * product, the cosine similarity (no logit scale), in [-1, 1]. The dimension's value is the
 * plain mean over videos.
 */
public final class ViClipSimilarity implements VideoMetric {
    public static final String OVERALL_CONSISTENCY = "overall_consistency";
    public static final String TEMPORAL_STYLE = "temporal_style";
    static final int FRAMES = 8;

    private final String name;
    private final Supplier<ViClip> model;
    private final Supplier<ClipTokenizer> tokenizer;
    private final Device device;
    private final Map<String, float[]> textFeatures = new ConcurrentHashMap<>();

    public ViClipSimilarity(String name, Supplier<ViClip> model, Supplier<ClipTokenizer> tokenizer, Device device) {
        if (!name.equals(OVERALL_CONSISTENCY) && !name.equals(TEMPORAL_STYLE)) {
            throw new IllegalArgumentException("ViCLIP scores overall_consistency or temporal_style, not " + name);
        }
        this.name = name;
        this.model = model;
        this.tokenizer = tokenizer;
        this.device = device;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public MetricResult score(DecodedVideo video, MetricContext context) {
        String prompt = context.requireCaption(name);
        ViClip m = model.get();
        long[] ids = ViClip.tokenize(tokenizer.get(), prompt, m.config().contextLength());
        return score(video, ids);
    }

    /** The score against already tokenized text (context-length ids). */
    MetricResult score(DecodedVideo video, long[] tokenIds) {
        ViClip m = model.get();
        float[] text = textFeatures.computeIfAbsent(Arrays.toString(tokenIds), k -> encodeText(m, tokenIds, device));
        int[] indices = FrameSampling.middle(FRAMES, video.frameCount());
        float[] vision = encodeVideo(m, video, indices, device);
        double sim = dot(normalized(vision), normalized(text));
        Map<String, String> details = new LinkedHashMap<>();
        details.put("frame_indices", Arrays.stream(indices).mapToObj(Integer::toString)
                .collect(Collectors.joining(",")));
        return new MetricResult(sim, details);
    }

    /** The 8 sampled frames through clip_transform, as one (1, 8, 3, R, R) clip on {@code device}, to its embedding. */
    public static float[] encodeVideo(ViClip m, DecodedVideo video, int[] indices, Device device) {
        int n = m.config().inputResolution();
        int plane = 3 * n * n;
        float[] clip = new float[indices.length * plane];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(VBenchTransforms.clipUint8(video, indices[i], n).chw(), 0, clip, i * plane, plane);
        }
        try (NDManager nd = NDManager.newBaseManager(device)) {
            NDArray x = nd.create(clip, new Shape(1, indices.length, 3, n, n));
            return m.encodeVision(x).toFloatArray();
        }
    }

    private static float[] encodeText(ViClip m, long[] ids, Device device) {
        try (NDManager nd = NDManager.newBaseManager(device)) {
            return m.encodeText(new long[][] {ids}, nd).toFloatArray();
        }
    }


    /** x / ||x|| in float, as {@code x /= x.norm(dim=-1, keepdim=True)}. */
    static float[] normalized(float[] x) {
        double sq = 0;
        for (float v : x) {
            sq += (double) v * v;
        }
        float norm = (float) Math.sqrt(sq);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] / norm;
        }
        return out;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}

package dev.qvgen.metrics.vbench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.metrics.backbone.ClipModel;
import dev.qvgen.metrics.backbone.ClipTokenizer;
import dev.qvgen.metrics.backbone.VBenchTransforms;
import dev.qvgen.video.DecodedVideo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * VBench "appearance_style" (vbench/appearance_style.py): for every frame (as a PIL image through
 * {@code clip_transform_Image(224)}), CLIP ViT-B/32's {@code logits_per_text / 100}, i.e.
 * {@code exp(logit_scale) * cos(image, text) / 100}, against the prompt's style text from
 * VBench_full_info.json ({@code auxiliary_info.appearance_style.appearance_style}). A video's
 * result is the mean over its frames; the dimension's mean is over all frames of all videos
 * (details "frame_sum" and "frames").
 */
public final class AppearanceStyle implements VideoMetric {
    public static final String NAME = "appearance_style";
    public static final String STYLE_KEY = "appearance_style.appearance_style";
    static final int BATCH = 8;

    private final Supplier<ClipModel> clip;
    private final Supplier<ClipTokenizer> tokenizer;
    private final Device device;
    private final Map<String, float[]> textFeatures = new ConcurrentHashMap<>();

    /** @param device where the frames are put: the device the network's weights are on */
    public AppearanceStyle(Supplier<ClipModel> clip, Supplier<ClipTokenizer> tokenizer, Device device) {
        this.clip = clip;
        this.tokenizer = tokenizer;
        this.device = device;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public MetricResult score(DecodedVideo video, MetricContext context) {
        String style = context.requireAuxiliary(NAME, STYLE_KEY);
        ClipModel model = clip.get();
        float[] text = textFeatures.computeIfAbsent(style, s -> encodeText(model, s));
        int n = model.config().imageResolution();
        List<VBenchTransforms.Image> images = new ArrayList<>();
        for (int t = 0; t < video.frameCount(); t++) {
            images.add(VBenchTransforms.clipPil(video, t, n));
        }
        float[][] feats = FrameConsistency.features(images, device, model::encodeImage);
        double scale = Math.exp(model.logitScale());
        List<Double> perFrame = new ArrayList<>();
        double sum = 0;
        for (float[] f : feats) {
            double sim = scale * cosine(f, text) / 100.0;
            perFrame.add(sim);
            sum += sim;
        }
        Map<String, String> details = new LinkedHashMap<>();
        details.put("style", style);
        details.put("frame_sum", Double.toString(sum));
        details.put("frames", Integer.toString(feats.length));
        details.put("frame_results", perFrame.stream().map(d -> Double.toString(d)).collect(Collectors.joining(",")));
        return new MetricResult(sum / feats.length, details);
    }

    private float[] encodeText(ClipModel model, String style) {
        long[] ids = tokenizer.get().tokenize(style, model.config().contextLength());
        try (NDManager m = NDManager.newBaseManager(device)) {
            NDArray f = model.encodeText(new long[][] {ids}, m);
            return f.toFloatArray();
        }
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}

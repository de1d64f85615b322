package dev.qvgen.metrics.vbench;

import ai.djl.util.JsonUtils;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.metrics.backbone.VBenchTransforms;
import dev.qvgen.metrics.ops.SwscaleResize;
import dev.qvgen.metrics.tag2text.Captioner;
import dev.qvgen.video.DecodedVideo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * VBench "scene" (vbench/scene.py): 16 frames sampled at interval middles, read at 384 x 384 (as
 * decord's {@code VideoReader(width=384, height=384)} scales them), scaled to [0, 1] and
 * ImageNet-normalised ({@code tag2text_transform(384)}), captioned by Tag2Text; a frame succeeds
 * when every space-separated word of the prompt's scene (auxiliary info {@code scene.scene}) is a
 * substring of its caption. A video's result is its fraction of successful frames; the dimension
 * is the total of successful frames over the total of frames (so it is frame-weighted).
 */
public final class Scene implements VideoMetric {
    public static final String NAME = "scene";
    public static final String SCENE_KEY = "scene.scene";
    static final int FRAMES = 16;
    static final int SIZE = 384;

    private final Supplier<? extends Captioner> captioner;

    public Scene(Supplier<? extends Captioner> captioner) {
        this.captioner = captioner;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public MetricResult score(DecodedVideo video, MetricContext context) {
        String scene = sceneOf(context.requireAuxiliary(NAME, SCENE_KEY));
        int[] indices = FrameSampling.middle(FRAMES, video.frameCount());
        List<String> captions = captioner.get().captions(frames(video, indices), indices.length, SIZE);
        int success = 0;
        for (String c : captions) {
            if (matches(scene, c)) {
                success++;
            }
        }
        Map<String, String> details = new LinkedHashMap<>();
        details.put("scene", scene);
        details.put("success_frame_count", Integer.toString(success));
        details.put("frame_count", Integer.toString(captions.size()));
        details.put("captions", String.join(" | ", captions));
        return new MetricResult((double) success / captions.size(), details);
    }

    /**
     * The scene word(s): VBench_full_info.json nests them as {@code {"scene": "alley"}} under
     * {@code auxiliary_info.scene.scene}; a plain string is taken as is.
     */
    static String sceneOf(String auxiliary) {
        String s = auxiliary.strip();
        if (s.startsWith("{")) {
            JsonElement e = JsonParser.parseString(s).getAsJsonObject().get("scene");
            if (e == null || !e.isJsonPrimitive()) {
                throw new IllegalArgumentException("metric scene: auxiliary info " + SCENE_KEY + " has no 'scene' "
                        + "string: " + JsonUtils.GSON.toJson(JsonParser.parseString(s)));
            }
            return e.getAsString();
        }
        return s;
    }

    /** VBench's check_generate for one caption: {@code all(q in pred for q in key.split(' '))}. */
    static boolean matches(String scene, String caption) {
        // Python's split(' ') keeps empty pieces between repeated spaces; "" is in every string
        for (String q : scene.split(" ", -1)) {
            if (!caption.contains(q)) {
                return false;
            }
        }
        return true;
    }

    /** (n, 3, 384, 384) ImageNet-normalised planes of the sampled frames. */
    static float[] frames(DecodedVideo video, int[] indices) {
        int plane = SIZE * SIZE;
        float[] out = new float[indices.length * 3 * plane];
        for (int i = 0; i < indices.length; i++) {
            byte[] rgb = SwscaleResize.bilinear(video.rgb8(indices[i]), video.height(), video.width(), SIZE, SIZE);
            System.arraycopy(VBenchTransforms.imagenetPlanes(rgb, plane), 0, out, i * 3 * plane, 3 * plane);
        }
        return out;
    }
}

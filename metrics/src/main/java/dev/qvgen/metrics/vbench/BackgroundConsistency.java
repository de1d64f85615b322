package dev.qvgen.metrics.vbench;

import ai.djl.Device;
import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.metrics.backbone.ClipModel;
import dev.qvgen.metrics.backbone.VBenchTransforms;
import dev.qvgen.video.DecodedVideo;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * VBench "background_consistency" (vbench/background_consistency.py): CLIP ViT-B/32
 * {@code encode_image} features of every frame after {@code clip_transform(224)} (bicubic
 * resize, centre crop), scored by {@link FrameConsistency}. VBench runs CLIP in fp16 on GPU;
 * this runs the same weights in fp32.
 */
public final class BackgroundConsistency implements VideoMetric {
    public static final String NAME = "background_consistency";

    private final Supplier<ClipModel> clip;
    private final Device device;

    /** @param device where the frames are put: the device the network's weights are on */
    public BackgroundConsistency(Supplier<ClipModel> clip, Device device) {
        this.clip = clip;
        this.device = device;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public MetricResult score(DecodedVideo video, MetricContext context) {
        ClipModel model = clip.get();
        int n = model.config().imageResolution();
        List<VBenchTransforms.Image> images = new ArrayList<>();
        for (int t = 0; t < video.frameCount(); t++) {
            images.add(VBenchTransforms.clip(video, t, n));
        }
        return FrameConsistency.score(FrameConsistency.features(images, device, model::encodeImage), "clip-vit");
    }
}

package dev.qvgen.metrics.vbench;

import ai.djl.Device;
import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.metrics.backbone.DinoVisionTransformer;
import dev.qvgen.metrics.backbone.VBenchTransforms;
import dev.qvgen.video.DecodedVideo;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * VBench "subject_consistency" (vbench/subject_consistency.py): DINO ViT-B/16 CLS features of
 * every frame after {@code dino_transform(224)} (shorter side to 224, no crop, so the ViT
 * interpolates its position embeddings), scored by {@link FrameConsistency}.
 */
public final class SubjectConsistency implements VideoMetric {
    public static final String NAME = "subject_consistency";
    static final int SIZE = 224;

    private final Supplier<DinoVisionTransformer> dino;
    private final Device device;

    /** @param device where the frames are put: the device the network's weights are on */
    public SubjectConsistency(Supplier<DinoVisionTransformer> dino, Device device) {
        this.dino = dino;
        this.device = device;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public MetricResult score(DecodedVideo video, MetricContext context) {
        DinoVisionTransformer model = dino.get();
        List<VBenchTransforms.Image> images = new ArrayList<>();
        for (int t = 0; t < video.frameCount(); t++) {
            images.add(VBenchTransforms.dino(video, t, SIZE));
        }
        return FrameConsistency.score(FrameConsistency.features(images, device, model::forward), "dino-vit");
    }
}

package dev.qvgen.metrics.vbench;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.metrics.backbone.DinoVisionTransformer;
import dev.qvgen.metrics.backbone.VBenchTransforms;
import dev.qvgen.metrics.video.DecodedVideo;

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

    public SubjectConsistency(Supplier<DinoVisionTransformer> dino) {
        this.dino = dino;
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
        return FrameConsistency.score(FrameConsistency.features(images, model::forward), "dino-vit");
    }
}

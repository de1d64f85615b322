package dev.qvgen.metrics.vbench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.metrics.backbone.AestheticHead;
import dev.qvgen.metrics.backbone.ClipModel;
import dev.qvgen.metrics.backbone.VBenchTransforms;
import dev.qvgen.video.DecodedVideo;
import dev.qvgen.layers.nn.Linear;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * VBench "aesthetic_quality" (vbench/aesthetic_quality.py): every frame through
 * {@code clip_transform(224)} and CLIP ViT-L/14 {@code encode_image}, L2-normalised, rated by
 * the LAION linear head; the video's score is the mean rating / 10.
 */
public final class AestheticQuality implements VideoMetric {
    public static final String NAME = "aesthetic_quality";

    private final Supplier<ClipModel> clip;
    private final Supplier<Linear> head;
    private final Device device;

    /** @param device where the frames are put: the device the network's weights are on */
    public AestheticQuality(Supplier<ClipModel> clip, Supplier<Linear> head, Device device) {
        this.clip = clip;
        this.head = head;
        this.device = device;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public MetricResult score(DecodedVideo video, MetricContext context) {
        ClipModel model = clip.get();
        Linear rater = head.get();
        int n = model.config().imageResolution();
        List<VBenchTransforms.Image> images = new ArrayList<>();
        for (int t = 0; t < video.frameCount(); t++) {
            images.add(VBenchTransforms.clip(video, t, n));
        }
        float[][] ratings = FrameConsistency.features(images, device, x -> {
            NDArray r = AestheticHead.rate(rater, model.encodeImage(x));
            return r.reshape(r.getShape().get(0), 1);
        });
        double sum = 0;
        for (float[] r : ratings) {
            sum += r[0] / 10.0;
        }
        double mean = sum / ratings.length;
        return new MetricResult(mean, Map.of("frames", Integer.toString(ratings.length),
                "mean_rating", Double.toString(mean * 10)));
    }
}

package dev.qvgen.metrics.vbench;

import dev.qvgen.suites.vbench.VBenchDimensions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricRegistry;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.ToyClips;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.metrics.backbone.DinoVisionTransformer;
import dev.qvgen.video.DecodedVideo;
import dev.qvgen.metrics.TestResources;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The backbone dimensions on synthetic videos with known answers, using the toy fixture weights. */
class BackboneMetricsTest {
    static final Path DINO = Path.of("../shared/fixtures/metrics/dino-vit/dino_vit_pretrain.pth");
    static final Path CLIP = Path.of("../shared/fixtures/metrics/clip/clip_state_dict.pth");
    /** The toy fixture DINO: dim 64, depth 2, 4 heads. */
    static final DinoVisionTransformer.Config TOY_DINO = new DinoVisionTransformer.Config(16, 64, 2, 4, 4.0, 1e-6f);

    static VBenchBackbones backbones;
    static MetricRegistry registry;

    /** Toy weights for every ported backbone; the toy CLIP stands in for both B/32 and L/14 (embed dim 32). */
    static VBenchBackbones.Weights toyWeights() {
        return new VBenchBackbones.Weights(DINO, CLIP, CLIP, TestResources.torch("aesthetic_head_constant5.pth"),
                null, TestResources.torch("bpe_tiny.txt"), TOY_DINO);
    }

    @BeforeAll
    static void load() {
        backbones = new VBenchBackbones(toyWeights());
        registry = MetricRegistry.vbench(backbones);
    }

    @AfterAll
    static void close() {
        backbones.close();
    }

    static double score(String metric, DecodedVideo video) {
        return registry.get(metric).score(video, MetricContext.none()).value();
    }

    static DecodedVideo frozen() {
        return DecodedVideo.fromFloats(ToyClips.frozen(ToyClips.render("a red circle moves up slowly", 3)), 8);
    }

    @Test
    void identicalFramesAreFullyConsistent() {
        assertEquals(1.0, score("subject_consistency", frozen()), 1e-6);
        assertEquals(1.0, score("background_consistency", frozen()), 1e-6);
    }

    @Test
    void changingContentIsLessConsistentAndDetailsCarryVBenchSums() {
        DecodedVideo noise = DecodedVideo.fromFloats(ToyClips.noise(4, 32, 48, 7), 8);
        MetricResult r = registry.get("subject_consistency").score(noise, MetricContext.none());
        assertTrue(r.value() < 0.9999 && r.value() >= 0, "subject_consistency of noise " + r.value());
        assertEquals("3", r.details().get("pairs"));
        assertEquals(r.value() * 3, Double.parseDouble(r.details().get("video_sim")), 1e-12);
        double bg = score("background_consistency", noise);
        assertTrue(bg < 0.9999 && bg >= 0, "background_consistency of noise " + bg);
    }

    @Test
    void oneFrameHasNoPairs() {
        DecodedVideo one = DecodedVideo.fromFloats(ToyClips.flat(1, 16, 16, 0.5f), 8);
        assertTrue(Double.isNaN(score("subject_consistency", one)));
    }

    @Test
    void aestheticIsTheHeadRatingOverTen() {
        // the constant head rates every frame 5 (weight 0, bias 5): VBench's score is 5 / 10
        DecodedVideo noise = DecodedVideo.fromFloats(ToyClips.noise(3, 40, 24, 2), 8);
        assertEquals(0.5, score("aesthetic_quality", noise), 1e-6);
    }

    @Test
    void everyVBenchDimensionIsRegisteredAndMissingWeightsAreUnavailable() {
        try (VBenchBackbones none = new VBenchBackbones(VBenchBackbones.Weights.none())) {
            MetricRegistry bare = MetricRegistry.vbench(none);
            List<String> names = new ArrayList<>(bare.names());
            assertEquals(VBenchDimensions.ALL, names.subList(0, 16));
            VideoMetric subject = bare.get("subject_consistency");
            assertTrue(subject.unavailableReason().orElseThrow().contains("--dino"));
            assertTrue(bare.get("motion_smoothness").unavailableReason().isPresent());
            assertTrue(bare.get("temporal_flickering").unavailableReason().isEmpty());
            assertThrows(IllegalStateException.class, () -> subject.score(frozen(), MetricContext.none()));
        }
        assertTrue(registry.get("subject_consistency").unavailableReason().isEmpty());
        assertTrue(registry.get("aesthetic_quality").unavailableReason().isEmpty());
    }

    @Test
    void appearanceStyleIsTheScaledCosineToTheStyleText() {
        Path clip520 = TestResources.torch("clip_toy520.pth");
        Path bpe = TestResources.torch("bpe_tiny.txt");
        try (VBenchBackbones b = new VBenchBackbones(new VBenchBackbones.Weights(null, clip520, null, null, null, bpe,
                TOY_DINO)); ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            VideoMetric style = MetricRegistry.vbench(b).get("appearance_style");
            DecodedVideo video = frozen();
            MetricResult r = style.score(video, MetricContext.of("a prompt",
                    java.util.Map.of(AppearanceStyle.STYLE_KEY, "hello")));
            // the reference computation, step by step: PIL-resized frame, image and text embeddings
            dev.qvgen.metrics.backbone.ClipModel clip = dev.qvgen.metrics.backbone.ClipModel.load(clip520, null, m);
            var tok = dev.qvgen.metrics.backbone.ClipTokenizer.load(bpe);
            var img = dev.qvgen.metrics.backbone.VBenchTransforms.clipPil(video, 0, 64);
            float[] fi = clip.encodeImage(m.create(img.chw(), new ai.djl.ndarray.types.Shape(1, 3, 64, 64)))
                    .toFloatArray();
            float[] ft = clip.encodeText(new long[][] {tok.tokenize("hello", 16)}, m).toFloatArray();
            double expected = Math.exp(clip.logitScale()) * AppearanceStyle.cosine(fi, ft) / 100;
            assertEquals(expected, r.value(), 1e-5);
            assertEquals(Integer.toString(video.frameCount()), r.details().get("frames"));
            for (String f : r.details().get("frame_results").split(",")) {
                assertEquals(r.value(), Double.parseDouble(f), 1e-6); // identical frames
            }
            double other = style.score(video, MetricContext.of("a prompt",
                    java.util.Map.of(AppearanceStyle.STYLE_KEY, "hell"))).value();
            assertTrue(Math.abs(other - r.value()) > 1e-6, "style text must matter");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> style.score(video, MetricContext.ofCaption("a prompt")));
            assertTrue(e.getMessage().contains(AppearanceStyle.STYLE_KEY), e.getMessage());
        }
    }
}

package dev.qvgen.metrics.vbench;

import dev.qvgen.suites.vbench.VBenchDimensions;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.metrics.amt.MotionSmoothness;

import java.util.ArrayList;
import java.util.List;

/**
 * One {@link VideoMetric} per VBench dimension, in VBench's order. Dimensions whose network is
 * ported here score when their weights were given; every other dimension is an
 * {@link UnavailableMetric} that names what is missing.
 */
public final class VBenchMetrics {
    private VBenchMetrics() {}

    public static List<VideoMetric> all(VBenchBackbones b) {
        List<VideoMetric> out = new ArrayList<>();
        for (String name : VBenchDimensions.ALL) {
            out.add(switch (name) {
                case SubjectConsistency.NAME -> b.dino().<VideoMetric>map(s -> new SubjectConsistency(s, b.device()))
                        .orElseGet(() -> missing(name, "needs the DINO ViT-B/16 weights (--dino dino_vitbase16_pretrain.pth)"));
                case BackgroundConsistency.NAME -> b.clipB32().<VideoMetric>map(s -> new BackgroundConsistency(s, b.device()))
                        .orElseGet(() -> missing(name, "needs the CLIP ViT-B/32 weights (--clip-b32 ViT-B-32.pt)"));
                case AestheticQuality.NAME -> b.clipL14().isPresent() && b.aestheticHead().isPresent()
                        ? new AestheticQuality(b.clipL14().get(), b.aestheticHead().get(), b.device())
                        : missing(name, "needs the CLIP ViT-L/14 weights (--clip-l14 ViT-L-14.pt) and the LAION "
                                + "aesthetic head (--aesthetic-head sa_0_4_vit_l_14_linear.pth)");
                case TemporalFlickering.NAME -> new TemporalFlickering();
                // VBench's flow is RAFT; without its weights OpenCV Farneback stands in, and the
                // result's details name the flow that produced it.
                case DynamicDegree.NAME -> b.weights().raft() != null
                        ? dev.qvgen.metrics.raft.RaftDynamicDegree.load(b.weights().raft(), b.device()) : new DynamicDegree();
                case MotionSmoothness.NAME -> b.weights().amt() != null
                        ? MotionSmoothness.load(b.weights().amt(), b.device())
                        : missing(name, "needs the AMT-S frame interpolation weights (--amt amt-s.pth)");
                case ImagingQuality.NAME -> b.musiq().<VideoMetric>map(s -> new ImagingQuality(s, b.device()))
                        .orElseGet(() -> missing(name, "needs pyiqa's MUSIQ SPAQ weights (--musiq musiq_spaq_ckpt-358bb6af.pth)"));
                case "object_class", "multiple_objects", "color", "spatial_relationship" ->
                        missing(name, "needs the GRiT dense captioning detector, not ported");
                case HumanAction.NAME -> b.umt().isPresent() && b.kinetics().isPresent()
                        ? new HumanAction(b.umt().get(), b.kinetics().get(), b.device())
                        : missing(name, "needs the UMT-L/16 Kinetics-400 classifier (--umt "
                                + "l16_ptk710_ftk710_ftk400_f16_res224.pth) and its class list (--umt-categories "
                                + "kinetics_400_categories.txt)");
                case Scene.NAME -> b.tag2text().<VideoMetric>map(Scene::new)
                        .orElseGet(() -> missing(name, "needs the Tag2Text captioner (--tag2text "
                                + "tag2text_swin_14m.pth), its tag names (--tag2text-tags tag_class.py) and "
                                + "bert-base-uncased's tokenizer (--bert-tokenizer tokenizer.json)"));
                case AppearanceStyle.NAME -> b.clipB32().isPresent() && b.clipTokenizer().isPresent()
                        ? new AppearanceStyle(b.clipB32().get(), b.clipTokenizer().get(), b.device())
                        : missing(name, "needs the CLIP ViT-B/32 weights (--clip-b32 ViT-B-32.pt) and CLIP's BPE "
                                + "merges (--clip-bpe bpe_simple_vocab_16e6.txt.gz)");
                case ViClipSimilarity.TEMPORAL_STYLE, ViClipSimilarity.OVERALL_CONSISTENCY ->
                        b.viclip().isPresent() && b.clipTokenizer().isPresent()
                                ? new ViClipSimilarity(name, b.viclip().get(), b.clipTokenizer().get(), b.device())
                                : missing(name, "needs the ViCLIP weights (--viclip ViClip-InternVid-10M-FLT.pth) and "
                                        + "CLIP's BPE merges (--clip-bpe bpe_simple_vocab_16e6.txt.gz)");
                default -> throw new IllegalStateException("no rule for VBench dimension " + name);
            });
        }
        return out;
    }

    private static VideoMetric missing(String name, String reason) {
        return new UnavailableMetric(name, reason);
    }
}

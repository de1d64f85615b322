package dev.qvgen.harness.study;

import dev.qvgen.metrics.backbone.DinoVisionTransformer;
import dev.qvgen.metrics.vbench.VBenchBackbones;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * VBench's metric weights found in one folder by their published file names (as VBench's own
 * download script names them), so a paper plan needs one {@code --metric-weights DIR}. A file that
 * is not there leaves its dimensions unavailable, as {@code qvgen evaluate} does.
 */
public final class MetricWeights {
    /** File name → what it is for, in the order {@link #describe()} prints them. */
    public static final Map<String, String> FILES = files();

    private MetricWeights() {}

    private static Map<String, String> files() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("dino_vitbase16_pretrain.pth", "subject_consistency (DINO ViT-B/16)");
        m.put("ViT-B-32.pt", "background_consistency (CLIP ViT-B/32)");
        m.put("ViT-L-14.pt", "aesthetic_quality (CLIP ViT-L/14)");
        m.put("sa_0_4_vit_l_14_linear.pth", "aesthetic_quality (LAION aesthetic head)");
        m.put("raft-things.pth", "dynamic_degree (RAFT; without it OpenCV Farneback flow)");
        m.put("musiq_spaq_ckpt-358bb6af.pth", "imaging_quality (MUSIQ)");
        m.put("amt-s.pth", "motion_smoothness (AMT-S)");
        m.put("ViClip-InternVid-10M-FLT.pth", "overall_consistency (ViCLIP)");
        m.put("bpe_simple_vocab_16e6.txt.gz", "overall_consistency (CLIP BPE vocabulary)");
        m.put("tag2text_swin_14m.pth", "scene (Tag2Text)");
        m.put("tag_class.py", "scene (Tag2Text's tag names, VBench's tag_class.py)");
        m.put("tokenizer.json", "scene (bert-base-uncased tokenizer)");
        return java.util.Collections.unmodifiableMap(m);
    }

    /** The weights of {@code dir} (null: none, every network dimension unavailable). */
    public static VBenchBackbones.Weights in(Path dir) {
        if (dir == null) {
            return VBenchBackbones.Weights.none();
        }
        VBenchBackbones.Weights w = new VBenchBackbones.Weights(file(dir, "dino_vitbase16_pretrain.pth"), file(dir, "ViT-B-32.pt"),
                file(dir, "ViT-L-14.pt"), file(dir, "sa_0_4_vit_l_14_linear.pth"), file(dir, "raft-things.pth"),
                file(dir, "bpe_simple_vocab_16e6.txt.gz"), DinoVisionTransformer.Config.vitBase16(),
                file(dir, "ViClip-InternVid-10M-FLT.pth"), file(dir, "musiq_spaq_ckpt-358bb6af.pth"),
                file(dir, "amt-s.pth"));
        Path t2t = file(dir, "tag2text_swin_14m.pth");
        Path tags = file(dir, "tag_class.py");
        Path tok = file(dir, "tokenizer.json");
        // scene needs the captioner, its tag list and its tokenizer together
        return t2t != null && tags != null && tok != null ? w.withTag2Text(t2t, tags, tok) : w;
    }

    private static Path file(Path dir, String name) {
        Path p = dir.resolve(name);
        return Files.isRegularFile(p) ? p : null;
    }

    /** One line per file: its name and what it serves, for help texts and docs. */
    public static String describe() {
        StringBuilder b = new StringBuilder();
        FILES.forEach((f, what) -> b.append(f).append(": ").append(what).append('\n'));
        return b.toString();
    }
}

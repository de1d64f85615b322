package dev.qvgen.metrics.vbench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

import dev.qvgen.metrics.backbone.AestheticHead;
import dev.qvgen.metrics.backbone.ClipModel;
import dev.qvgen.metrics.backbone.ClipTokenizer;
import dev.qvgen.metrics.backbone.DinoVisionTransformer;
import dev.qvgen.metrics.musiq.Musiq;
import dev.qvgen.metrics.tag2text.Tag2Text;
import dev.qvgen.metrics.umt.KineticsCategories;
import dev.qvgen.metrics.umt.UmtVisionTransformer;
import dev.qvgen.metrics.viclip.ViClip;
import dev.qvgen.layers.nn.Linear;

import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The published weight files VBench's dimensions use, given by path, and the networks built
 * from them. Each network is loaded once, on first use (or by {@link #preload}), and shared by
 * all scoring threads; a missing path leaves the dimensions that need it unavailable.
 */
public final class VBenchBackbones implements AutoCloseable {

    /**
     * Paths to the weight files (null when not given).
     *
     * @param dino          {@code dino_vitbase16_pretrain.pth} (subject_consistency)
     * @param clipB32       {@code ViT-B-32.pt} (background_consistency)
     * @param clipL14       {@code ViT-L-14.pt} (aesthetic_quality)
     * @param aestheticHead {@code sa_0_4_vit_l_14_linear.pth} (aesthetic_quality)
     * @param raft          {@code raft-things.pth} (dynamic_degree with RAFT; handled outside this class)
     * @param clipBpe       {@code bpe_simple_vocab_16e6.txt.gz}, CLIP's tokenizer merges (appearance_style)
     * @param dinoConfig    the DINO architecture ({@link DinoVisionTransformer.Config#vitBase16()} for VBench)
     * @param viclip        {@code ViClip-InternVid-10M-FLT.pth} (overall_consistency, temporal_style; with clipBpe)
     * @param musiq         {@code musiq_spaq_ckpt-358bb6af.pth}, pyiqa's MUSIQ (imaging_quality)
     * @param amt           {@code amt-s.pth} (motion_smoothness; handled outside this class)
     * @param umt           {@code l16_ptk710_ftk710_ftk400_f16_res224.pth} (human_action)
     * @param kinetics      {@code kinetics_400_categories.txt}, the UMT classifier's class names (human_action)
     * @param umtConfig     the UMT architecture ({@link UmtVisionTransformer.Config#large400()} for VBench)
     * @param tag2text      {@code tag2text_swin_14m.pth}, the Tag2Text captioner (scene)
     * @param tag2textTags  Tag2Text's tag names: VBench's {@code tag_class.py} or one tag per line (scene)
     * @param bertTokenizer bert-base-uncased's {@code tokenizer.json}, Tag2Text's tokenizer (scene)
     * @param tag2textConfig the captioner's architecture and settings ({@link Tag2Text.Config#published()})
     */
    public record Weights(Path dino, Path clipB32, Path clipL14, Path aestheticHead, Path raft, Path clipBpe,
                          DinoVisionTransformer.Config dinoConfig, Path viclip, Path musiq, Path amt, Path umt,
                          Path kinetics, UmtVisionTransformer.Config umtConfig, Path tag2text, Path tag2textTags,
                          Path bertTokenizer, Tag2Text.Config tag2textConfig) {
        /** Without Tag2Text. */
        public Weights(Path dino, Path clipB32, Path clipL14, Path aestheticHead, Path raft, Path clipBpe,
                       DinoVisionTransformer.Config dinoConfig, Path viclip, Path musiq, Path amt, Path umt,
                       Path kinetics, UmtVisionTransformer.Config umtConfig) {
            this(dino, clipB32, clipL14, aestheticHead, raft, clipBpe, dinoConfig, viclip, musiq, amt, umt, kinetics,
                    umtConfig, null, null, null, Tag2Text.Config.published());
        }

        /** Without UMT. */
        public Weights(Path dino, Path clipB32, Path clipL14, Path aestheticHead, Path raft, Path clipBpe,
                       DinoVisionTransformer.Config dinoConfig, Path viclip, Path musiq, Path amt) {
            this(dino, clipB32, clipL14, aestheticHead, raft, clipBpe, dinoConfig, viclip, musiq, amt, null, null,
                    UmtVisionTransformer.Config.large400());
        }

        /** Without AMT-S. */
        public Weights(Path dino, Path clipB32, Path clipL14, Path aestheticHead, Path raft, Path clipBpe,
                       DinoVisionTransformer.Config dinoConfig, Path viclip, Path musiq) {
            this(dino, clipB32, clipL14, aestheticHead, raft, clipBpe, dinoConfig, viclip, musiq, null);
        }

        /** Without MUSIQ and AMT-S. */
        public Weights(Path dino, Path clipB32, Path clipL14, Path aestheticHead, Path raft, Path clipBpe,
                       DinoVisionTransformer.Config dinoConfig, Path viclip) {
            this(dino, clipB32, clipL14, aestheticHead, raft, clipBpe, dinoConfig, viclip, null, null);
        }

        /** Without ViCLIP, MUSIQ and AMT-S. */
        public Weights(Path dino, Path clipB32, Path clipL14, Path aestheticHead, Path raft, Path clipBpe,
                       DinoVisionTransformer.Config dinoConfig) {
            this(dino, clipB32, clipL14, aestheticHead, raft, clipBpe, dinoConfig, null, null, null);
        }

        public static Weights none() {
            return new Weights(null, null, null, null, null, null, DinoVisionTransformer.Config.vitBase16());
        }

        /** These weights with {@code amt-s.pth} at {@code amt} (null for none). */
        public Weights withAmt(Path amt) {
            return new Weights(dino, clipB32, clipL14, aestheticHead, raft, clipBpe, dinoConfig, viclip, musiq, amt,
                    umt, kinetics, umtConfig, tag2text, tag2textTags, bertTokenizer, tag2textConfig);
        }

        /** These weights with VBench's UMT classifier and its class list (null for none). */
        public Weights withUmt(Path umtWeights, Path categories) {
            return withUmt(umtWeights, categories, UmtVisionTransformer.Config.large400());
        }

        /** These weights with a UMT classifier of the given architecture and its class list. */
        public Weights withUmt(Path umtWeights, Path categories, UmtVisionTransformer.Config config) {
            return new Weights(dino, clipB32, clipL14, aestheticHead, raft, clipBpe, dinoConfig, viclip, musiq, amt,
                    umtWeights, categories, config, tag2text, tag2textTags, bertTokenizer, tag2textConfig);
        }

        /** These weights with VBench's Tag2Text captioner, its tag names and its tokenizer (null for none). */
        public Weights withTag2Text(Path checkpoint, Path tags, Path tokenizer) {
            return withTag2Text(checkpoint, tags, tokenizer, Tag2Text.Config.published());
        }

        /** These weights with a Tag2Text captioner of the given architecture. */
        public Weights withTag2Text(Path checkpoint, Path tags, Path tokenizer, Tag2Text.Config config) {
            return new Weights(dino, clipB32, clipL14, aestheticHead, raft, clipBpe, dinoConfig, viclip, musiq, amt,
                    umt, kinetics, umtConfig, checkpoint, tags, tokenizer, config);
        }
    }

    private final Weights weights;
    private final Device device;
    private final NDManager manager;
    private final Lazy<DinoVisionTransformer> dino;
    private final Lazy<ClipModel> clipB32;
    private final Lazy<ClipModel> clipL14;
    private final Lazy<Linear> aestheticHead;
    private final Lazy<ClipTokenizer> clipTokenizer;
    private final Lazy<ViClip> viclip;
    private final Lazy<Musiq> musiq;
    private final Lazy<UmtVisionTransformer> umt;
    private final Lazy<KineticsCategories> kinetics;
    private final Lazy<Tag2Text> tag2text;

    /** The networks on the CPU. */
    public VBenchBackbones(Weights weights) {
        this(weights, Device.cpu());
    }

    /** The networks on {@code device} (e.g. {@code Device.gpu(0)}); the metrics put frames there too. */
    public VBenchBackbones(Weights weights, Device device) {
        this.weights = weights;
        this.device = device;
        this.manager = NDManager.newBaseManager(device);
        dino = new Lazy<>(() -> DinoVisionTransformer.load(weights.dino(), weights.dinoConfig(), manager));
        clipB32 = new Lazy<>(() -> ClipModel.load(weights.clipB32(), null, manager));
        clipL14 = new Lazy<>(() -> ClipModel.load(weights.clipL14(), null, manager));
        aestheticHead = new Lazy<>(() -> AestheticHead.load(weights.aestheticHead(), manager));
        clipTokenizer = new Lazy<>(() -> ClipTokenizer.load(weights.clipBpe()));
        viclip = new Lazy<>(() -> ViClip.load(weights.viclip(), null, null, manager));
        musiq = new Lazy<>(() -> Musiq.load(weights.musiq(), null, manager));
        umt = new Lazy<>(() -> UmtVisionTransformer.load(weights.umt(), weights.umtConfig(), manager));
        kinetics = new Lazy<>(() -> KineticsCategories.load(weights.kinetics()));
        tag2text = new Lazy<>(() -> Tag2Text.load(weights.tag2text(), weights.tag2textTags(), weights.bertTokenizer(),
                weights.tag2textConfig(), manager));
    }

    /** The captioner, when its checkpoint, tag names and tokenizer were all given. */
    Optional<Supplier<Tag2Text>> tag2text() {
        return weights.tag2text() == null || weights.tag2textTags() == null || weights.bertTokenizer() == null
                ? Optional.empty() : Optional.of(tag2text);
    }

    Optional<Supplier<ViClip>> viclip() {
        return weights.viclip() == null ? Optional.empty() : Optional.of(viclip);
    }

    Optional<Supplier<UmtVisionTransformer>> umt() {
        return weights.umt() == null ? Optional.empty() : Optional.of(umt);
    }

    Optional<Supplier<KineticsCategories>> kinetics() {
        return weights.kinetics() == null ? Optional.empty() : Optional.of(kinetics);
    }

    Optional<Supplier<Musiq>> musiq() {
        return weights.musiq() == null ? Optional.empty() : Optional.of(musiq);
    }

    Optional<Supplier<ClipTokenizer>> clipTokenizer() {
        return weights.clipBpe() == null ? Optional.empty() : Optional.of(clipTokenizer);
    }

    /** Where the networks run. */
    public Device device() {
        return device;
    }

    public Weights weights() {
        return weights;
    }

    Optional<Supplier<DinoVisionTransformer>> dino() {
        return weights.dino() == null ? Optional.empty() : Optional.of(dino);
    }

    Optional<Supplier<ClipModel>> clipB32() {
        return weights.clipB32() == null ? Optional.empty() : Optional.of(clipB32);
    }

    Optional<Supplier<ClipModel>> clipL14() {
        return weights.clipL14() == null ? Optional.empty() : Optional.of(clipL14);
    }

    Optional<Supplier<Linear>> aestheticHead() {
        return weights.aestheticHead() == null ? Optional.empty() : Optional.of(aestheticHead);
    }

    /**
     * Loads the networks these dimensions need now, so a wrong or corrupt weight file fails
     * before any video is scored.
     *
     * @throws dev.qvgen.layers.io.CheckpointException naming the file
     */
    public void preload(Iterable<String> dimensions) {
        for (String d : dimensions) {
            switch (d) {
                case "subject_consistency" -> dino().ifPresent(Supplier::get);
                case "imaging_quality" -> musiq().ifPresent(Supplier::get);
                case "scene" -> tag2text().ifPresent(Supplier::get);
                case "human_action" -> {
                    if (umt().isPresent() && kinetics().isPresent()) {
                        int classes = umt.get().config().numClasses();
                        if (kinetics.get().size() != classes) {
                            throw new dev.qvgen.layers.io.CheckpointException(weights.kinetics() + ": "
                                    + kinetics.get().size() + " class names, the classifier has " + classes);
                        }
                    }
                }
                case "background_consistency" -> clipB32().ifPresent(Supplier::get);
                case "aesthetic_quality" -> {
                    if (clipL14().isPresent() && aestheticHead().isPresent()) {
                        clipL14.get();
                        aestheticHead.get();
                    }
                }
                case "appearance_style" -> {
                    if (clipB32().isPresent() && clipTokenizer().isPresent()) {
                        clipB32.get();
                        clipTokenizer.get();
                    }
                }
                case "overall_consistency", "temporal_style" -> {
                    if (viclip().isPresent() && clipTokenizer().isPresent()) {
                        viclip.get();
                        clipTokenizer.get();
                    }
                }
                default -> {
                }
            }
        }
    }

    @Override
    public void close() {
        manager.close();
    }

    /** Loads once, under a lock; a failed load is retried (and fails again) on the next call. */
    private static final class Lazy<T> implements Supplier<T> {
        private final Supplier<T> loader;
        private volatile T value;

        Lazy(Supplier<T> loader) {
            this.loader = loader;
        }

        @Override
        public T get() {
            T v = value;
            if (v == null) {
                synchronized (this) {
                    if (value == null) {
                        value = loader.get();
                    }
                    v = value;
                }
            }
            return v;
        }
    }
}

package dev.qvgen.metrics.tag2text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

import dev.qvgen.layers.weights.TorchPickle;
import dev.qvgen.layers.io.CheckpointException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * VBench's scene captioner, Tag2Text ({@code tag2text_swin_14m.pth}, Tag2Text_Caption.generate
 * with beam search): Swin-B image embeddings; tags where the tag head's sigmoid exceeds 0.7
 * (less six classes Tag2Text deletes), joined as "a | b | c"; the tag text encoded by the tag
 * encoder cross-attending to the image; then the text decoder's beam search from
 * "[DEC] a picture of" cross-attending to the tag encoding, the caption being the decoded text
 * after the prompt.
 *
 * <p>One quirk of VBench's call is kept, because it changes the captions: Tag2Text already
 * repeats each tag encoding once per beam, Hugging Face's generate() repeats its model inputs
 * once more, and med.py's cross-attention keeps the first rows of a key batch larger than the
 * query batch. So image b's beams attend to the tag encoding of image b / beams (integer
 * division), not their own (see {@link #pairedRows}).
 */
public final class Tag2Text implements Captioner {
    /** Tag2Text_Caption.generate's settings, as VBench calls it. */
    public record Config(SwinTransformer.Config swin, BertConfig q2l, BertConfig tagEncoder, BertConfig decoder,
                         int numClass, float threshold, String prompt, int beams, int maxLength, int minLength,
                         int[] deletedTags) {
        public Config {
            deletedTags = deletedTags.clone();
        }

        /** tag2text_swin_14m: Swin-B at 384, the published BERT configs, 3429 tags, 3 beams, length 10 to 30. */
        public static Config published() {
            return new Config(SwinTransformer.Config.swinB384(), BertConfig.q2l(), BertConfig.tagEncoder(),
                    BertConfig.decoder(), TagHead.NUM_CLASS, 0.7f, "a picture of ", 3, 30, 10,
                    new int[] {127, 3351, 3265, 3338, 3355, 3359});
        }

        @Override
        public int[] deletedTags() {
            return deletedTags.clone();
        }
    }

    /** One image's tags and caption. */
    public record Caption(String tags, String caption) {}

    private final Config config;
    private final SwinTransformer vision;
    private final TagHead tagHead;
    private final MedBertModel tagEncoder;
    private final MedLmHeadModel decoder;
    private final TagList tags;
    private final Tag2TextTokenizer tokenizer;
    private final NDManager manager;
    /** The decoder's start, the same for every image. */
    private final long[] prompt;

    private Tag2Text(Config config, SwinTransformer vision, TagHead tagHead, MedBertModel tagEncoder,
            MedLmHeadModel decoder, TagList tags, Tag2TextTokenizer tokenizer, NDManager manager) {
        this.config = config;
        this.vision = vision;
        this.tagHead = tagHead;
        this.tagEncoder = tagEncoder;
        this.decoder = decoder;
        this.tags = tags;
        this.tokenizer = tokenizer;
        this.manager = manager;
        this.prompt = tokenizer.prompt(config.prompt());
    }

    /**
     * @param checkpoint {@code tag2text_swin_14m.pth}
     * @param tagList VBench's {@code tag_class.py} or a one-tag-per-line file
     * @param tokenizerJson bert-base-uncased's {@code tokenizer.json}
     * @throws CheckpointException naming the file that is missing, corrupt or does not fit
     */
    public static Tag2Text load(Path checkpoint, Path tagList, Path tokenizerJson, Config config, NDManager manager) {
        TagList names = TagList.load(tagList);
        if (names.size() != config.numClass()) {
            throw new CheckpointException(tagList + ": " + names.size() + " tag names, Tag2Text has "
                    + config.numClass() + " tag classes");
        }
        try (TorchPickle source = TorchPickle.open(checkpoint)) {
            String root = source.names().stream().anyMatch(n -> n.startsWith("model.")) ? "model." : "";
            SwinTransformer vision = SwinTransformer.load(source, config.swin(), manager);
            TagHead head = TagHead.load(source, root, config.q2l(), config.numClass(), manager);
            MedBertModel encoder = MedBertModel.load(source, root + "tag_encoder.", config.tagEncoder(), manager);
            MedLmHeadModel decoder = MedLmHeadModel.load(source, root + "text_decoder.", config.decoder(), manager);
            Tag2TextTokenizer tokenizer = Tag2TextTokenizer.load(tokenizerJson, config.decoder().vocabSize());
            return new Tag2Text(config, vision, head, encoder, decoder, names, tokenizer, manager);
        }
    }

    public Config config() {
        return config;
    }

    @Override
    public List<String> captions(float[] frames, int n, int size) {
        try (NDManager m = manager.newSubManager()) {
            List<String> out = new ArrayList<>();
            for (Caption c : caption(m.create(frames, new Shape(n, 3, size, size)))) {
                out.add(c.caption());
            }
            return out;
        }
    }

    /** Tags and captions of (n, 3, S, S) normalised images (the caller's array is left open). */
    public List<Caption> caption(NDArray images) {
        // DJL gives an op's result to its first operand's manager, and several of the tag head's
        // and tag encoder's first operands are weights: without the scope their outputs would
        // stay on the model's long-lived manager (about 0.5 GiB per 16-frame video)
        try (NDScope scope = new NDScope(); NDManager m = manager.newSubManager()) {
            images = images.toDevice(manager.getDevice(), false);
            int n = (int) images.getShape().get(0);
            int beams = config.beams();
            NDArray embeds = vision.forward(images);
            String[] tagTexts = tagTexts(Activation.sigmoid(tagHead.logits(embeds)).toFloatArray(), n);

            // one tag text per image, its encoding repeated for each of the image's beams
            long[][] ids = new long[n * beams][];
            long[][] masks = new long[n * beams][];
            for (int b = 0; b < n; b++) {
                Tag2TextTokenizer.Encoded e = tokenizer.tags(tagTexts[b]);
                Arrays.fill(ids, b * beams, (b + 1) * beams, e.ids());
                Arrays.fill(masks, b * beams, (b + 1) * beams, e.mask());
            }
            NDArray perBeam = embeds.repeat(0, beams);
            NDArray encoded = tagEncoder.encode(m.create(ids), m.create(masks), perBeam);
            NDArray states = encoded.get(m.create(pairedRows(n, beams)));

            long[][] prompts = new long[n][];
            Arrays.fill(prompts, prompt);
            BeamSearch search = new BeamSearch(beams, config.maxLength(), config.minLength(), tokenizer.sepId(),
                    tokenizer.padId());
            long[][] best;
            // incremental: the session caches keys and values across steps; each step's
            // temporaries go with its sub-manager
            try (DecoderSession session = decoder.session(states, m)) {
                best = search.search(prompts, (rows, parents) -> {
                    try (NDManager step = m.newSubManager()) {
                        NDArray logits = session.step(rows, parents, step);
                        float[] flat = logits.logSoftmax(-1).toFloatArray();
                        int vocab = (int) logits.getShape().get(1);
                        float[][] out = new float[rows.length][];
                        for (int r = 0; r < rows.length; r++) {
                            out[r] = Arrays.copyOfRange(flat, r * vocab, (r + 1) * vocab);
                        }
                        return out;
                    }
                });
            }
            List<Caption> out = new ArrayList<>();
            for (int b = 0; b < n; b++) {
                String text = tokenizer.decode(best[b]);
                // Python's caption[len(prompt):]
                String caption = text.length() > config.prompt().length() ? text.substring(config.prompt().length()) : "";
                out.add(new Caption(tagTexts[b], caption));
            }
            return out;
        }
    }

    /**
     * The tag-encoding row each decoder row attends to in VBench's call: the per-beam rows
     * {@code repeat_interleave}d once more, then cut to the decoder's batch, i.e. row r reads
     * per-beam row r / beams.
     */
    static long[] pairedRows(int n, int beams) {
        long[] rows = new long[n * beams];
        for (int r = 0; r < rows.length; r++) {
            rows[r] = r / beams;
        }
        return rows;
    }

    /** " | "-joined names of the tags above the threshold, deleted classes excluded, in class order. */
    String[] tagTexts(float[] probabilities, int n) {
        int classes = config.numClass();
        boolean[] deleted = new boolean[classes];
        for (int d : config.deletedTags()) {
            if (d < classes) {
                deleted[d] = true;
            }
        }
        String[] out = new String[n];
        for (int b = 0; b < n; b++) {
            List<String> on = new ArrayList<>();
            for (int c = 0; c < classes; c++) {
                if (!deleted[c] && probabilities[b * classes + c] > config.threshold()) {
                    on.add(tags.name(c));
                }
            }
            out[b] = String.join(" | ", on);
        }
        return out;
    }
}

package dev.qvgen.metrics.tag2text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.qvgen.layers.io.CheckpointException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Tag2Text's tokenizer: bert-base-uncased's WordPiece (its {@code tokenizer.json}, through DJL's
 * Hugging Face tokenizers) with the two tokens Tag2Text adds after the vocabulary, {@code [DEC]}
 * (the decoder's first token) and {@code [ENC]} (the tag encoder's first token). The published
 * tokenizer.json does not know them, so their ids are taken from the decoder's vocabulary size:
 * Tag2Text resizes it to the tokenizer's length, and they are its last two rows.
 */
public final class Tag2TextTokenizer implements AutoCloseable {
    /** Tag2Text pads and truncates the tag text to this many tokens. */
    public static final int TAG_TOKENS = 40;

    private final HuggingFaceTokenizer tokenizer;
    private final long cls;
    private final long sep;
    private final long pad;
    private final long dec;
    private final long enc;

    private Tag2TextTokenizer(HuggingFaceTokenizer tokenizer, long decoderVocabSize) {
        this.tokenizer = tokenizer;
        long[] ends = tokenizer.encode("", true, false).getIds();
        this.cls = ends[0];
        this.sep = ends[ends.length - 1];
        long[] padIds = tokenizer.encode("[PAD]", false, false).getIds();
        this.pad = padIds.length == 1 ? padIds[0] : 0;
        this.dec = decoderVocabSize - 2;
        this.enc = decoderVocabSize - 1;
    }

    /**
     * @param tokenizerJson bert-base-uncased's tokenizer.json
     * @param decoderVocabSize rows of the text decoder's word embeddings (30524 published)
     * @throws CheckpointException naming the file when it is missing or not a tokenizers file
     */
    public static Tag2TextTokenizer load(Path tokenizerJson, long decoderVocabSize) {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new CheckpointException(tokenizerJson + ": file not found (bert-base-uncased's tokenizer.json)");
        }
        checkVocabulary(tokenizerJson, decoderVocabSize);
        HuggingFaceTokenizer hf;
        try {
            // no padding or truncation here: Tag2Text's lengths are applied by tags() itself
            hf = HuggingFaceTokenizer.newInstance(tokenizerJson,
                    Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false"));
        } catch (IOException e) {
            throw new CheckpointException(tokenizerJson + ": cannot read (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            throw new CheckpointException(tokenizerJson + ": not a tokenizers file (" + e.getMessage() + ")", e);
        }
        try {
            Tag2TextTokenizer t = new Tag2TextTokenizer(hf, decoderVocabSize);
            if (t.cls == t.sep) {
                throw new CheckpointException(tokenizerJson + ": adds no [CLS] ... [SEP] around a text (a BERT "
                        + "tokenizer.json has a TemplateProcessing post-processor that does)");
            }
            return t;
        } catch (RuntimeException e) {
            hf.close();
            throw e instanceof CheckpointException c ? c
                    : new CheckpointException(tokenizerJson + ": not a BERT tokenizer (" + e.getMessage() + ")", e);
        }
    }

    /**
     * A WordPiece vocabulary of the decoder's size less Tag2Text's two added tokens, with BERT's
     * special tokens: another tokenizer would load and silently give other ids (and captions).
     */
    private static void checkVocabulary(Path file, long decoderVocabSize) {
        JsonObject vocab;
        try {
            JsonObject root = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
            vocab = root.getAsJsonObject("model").getAsJsonObject("vocab");
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            throw new CheckpointException(file + ": not a tokenizers file with a model.vocab table", e);
        }
        if (vocab == null) {
            throw new CheckpointException(file + ": not a tokenizers file with a model.vocab table");
        }
        if (vocab.size() != decoderVocabSize - 2) {
            throw new CheckpointException(file + ": a vocabulary of " + vocab.size() + " tokens, but Tag2Text's "
                    + "decoder has " + decoderVocabSize + " rows (the vocabulary plus [DEC] and [ENC]); "
                    + "bert-base-uncased's tokenizer.json has " + (30524 - 2));
        }
        for (String special : new String[] {"[CLS]", "[SEP]", "[PAD]"}) {
            if (!vocab.has(special)) {
                throw new CheckpointException(file + ": the vocabulary has no " + special + " (not a BERT tokenizer)");
            }
        }
    }

    /** Ids and attention mask of a tag text. */
    public record Encoded(long[] ids, long[] mask) {}

    /**
     * As Tag2Text encodes the tag text ({@code padding='max_length', truncation=True,
     * max_length=40}), with {@code [ENC]} in place of {@code [CLS]}.
     */
    public Encoded tags(String text) {
        long[] body = tokenizer.encode(text, false, false).getIds();
        int n = Math.min(body.length, TAG_TOKENS - 2);
        long[] ids = new long[TAG_TOKENS];
        long[] mask = new long[TAG_TOKENS];
        Arrays.fill(ids, pad);
        ids[0] = enc;
        System.arraycopy(body, 0, ids, 1, n);
        ids[n + 1] = sep;
        Arrays.fill(mask, 0, n + 2, 1);
        return new Encoded(ids, mask);
    }

    /** The decoder's start: the prompt's ids with {@code [DEC]} for {@code [CLS]} and no {@code [SEP]}. */
    public long[] prompt(String prompt) {
        long[] ids = tokenizer.encode(prompt, true, false).getIds();
        long[] out = Arrays.copyOf(ids, ids.length - 1);
        out[0] = dec;
        return out;
    }

    /** {@code tokenizer.decode(ids, skip_special_tokens=True)}. */
    public String decode(long[] ids) {
        long[] kept = Arrays.stream(ids).filter(i -> i != dec && i != enc && i != pad && i != cls && i != sep)
                .toArray();
        return tokenizer.decode(kept, true);
    }

    public long sepId() {
        return sep;
    }

    public long padId() {
        return pad;
    }

    public long decId() {
        return dec;
    }

    public long encId() {
        return enc;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}

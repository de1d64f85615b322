package dev.qvgen.models.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.io.CheckpointException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The T5/UMT5 tokenizer of a diffusers pipeline ({@code tokenizer/tokenizer.json}, a SentencePiece
 * unigram model in Hugging Face tokenizers format, or {@code tokenizer/spiece.model} converted to it),
 * run by DJL's binding of the Rust tokenizers library. Prompts are tokenized as the Wan and CogVideoX pipelines do: {@code </s>} appended,
 * truncated and padded to {@code max_sequence_length}.
 *
 * <p>The binding's native library ships inside its jar and is unpacked to the DJL cache on first
 * use; nothing is downloaded.
 */
public final class T5Tokenizer implements AutoCloseable {

    /** Token ids and attention mask, each (batch, maxSequenceLength). */
    public record Tokens(long[][] inputIds, long[][] attentionMask) {
        public NDArray inputIds(NDManager m) {
            return create(m, inputIds);
        }

        public NDArray attentionMask(NDManager m) {
            return create(m, attentionMask);
        }

        /** Token count of each prompt ({@code </s>} included), as the Wan pipeline's seq_lens. */
        public int[] lengths() {
            int[] out = new int[attentionMask.length];
            for (int i = 0; i < out.length; i++) {
                for (long v : attentionMask[i]) {
                    out[i] += (int) v;
                }
            }
            return out;
        }

        private static NDArray create(NDManager m, long[][] rows) {
            int cols = rows.length == 0 ? 0 : rows[0].length;
            long[] flat = new long[rows.length * cols];
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(rows[i], 0, flat, i * cols, cols);
            }
            return m.create(flat, new Shape(rows.length, cols));
        }
    }

    private final HuggingFaceTokenizer tokenizer;
    private final int maxSequenceLength;

    private T5Tokenizer(HuggingFaceTokenizer tokenizer, int maxSequenceLength) {
        this.tokenizer = tokenizer;
        this.maxSequenceLength = maxSequenceLength;
    }

    /**
     * Loads a pipeline's tokenizer: {@code tokenizer.json} when the directory has one, else
     * {@code spiece.model} (published CogVideoX checkpoints ship only that), converted in memory to the
     * tokenizer.json that transformers' T5 slow-to-fast conversion builds (see {@link SpmTokenizerJson},
     * settings from the directory's tokenizer_config.json / special_tokens_map.json).
     *
     * @param dir a pipeline's {@code tokenizer/} directory, or a {@code tokenizer.json} or
     *     {@code spiece.model} file itself
     * @param maxSequenceLength the pipeline's max_sequence_length (226 for CogVideoX, 512 for Wan)
     */
    public static T5Tokenizer fromPretrained(Path dir, int maxSequenceLength) {
        if (maxSequenceLength < 1) {
            throw new IllegalArgumentException("maxSequenceLength must be positive, got " + maxSequenceLength);
        }
        Path json;
        Path spiece;
        if (Files.isDirectory(dir)) {
            json = dir.resolve("tokenizer.json");
            spiece = dir.resolve("spiece.model");
            if (!Files.isRegularFile(json)) {
                json = null;
                if (!Files.isRegularFile(spiece)) {
                    throw new CheckpointException(dir + ": no tokenizer found (need tokenizer.json or spiece.model)");
                }
            }
        } else if (Files.isRegularFile(dir)) {
            boolean isSpm = dir.getFileName().toString().endsWith(".model");
            json = isSpm ? null : dir;
            spiece = isSpm ? dir : null;
        } else {
            throw new CheckpointException(dir + ": file not found (a tokenizer directory with tokenizer.json "
                    + "or spiece.model is needed)");
        }
        if (json != null) {
            try {
                return new T5Tokenizer(HuggingFaceTokenizer.newInstance(json, options(maxSequenceLength)),
                        maxSequenceLength);
            } catch (IOException e) {
                throw new CheckpointException(json + ": cannot read (" + e.getMessage() + ")", e);
            } catch (RuntimeException e) {
                throw new CheckpointException(json + ": not a tokenizers file (" + e.getMessage() + ")", e);
            }
        }
        SentencePieceModel model = SentencePieceModel.read(spiece);
        String converted = SpmTokenizerJson.t5(model, SpmTokenizerJson.T5Options.read(spiece.getParent()), spiece);
        try (InputStream in = new ByteArrayInputStream(converted.getBytes(StandardCharsets.UTF_8))) {
            return new T5Tokenizer(HuggingFaceTokenizer.newInstance(in, options(maxSequenceLength)),
                    maxSequenceLength);
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(spiece + ": the tokenizer converted from it does not load ("
                    + e.getMessage() + ")", e);
        }
    }

    /** As diffusers calls the tokenizer: </s> appended, truncated and padded to max_sequence_length. */
    private static Map<String, String> options(int maxSequenceLength) {
        return Map.of("addSpecialTokens", "true", "truncation", "true", "padding", "MAX_LENGTH",
                "maxLength", Integer.toString(maxSequenceLength));
    }

    public int maxSequenceLength() {
        return maxSequenceLength;
    }

    public Tokens encode(List<String> prompts) {
        long[][] ids = new long[prompts.size()][];
        long[][] mask = new long[prompts.size()][];
        Encoding[] enc = tokenizer.batchEncode(prompts);
        for (int i = 0; i < enc.length; i++) {
            ids[i] = enc[i].getIds();
            mask[i] = enc[i].getAttentionMask();
            if (ids[i].length != maxSequenceLength) {
                throw new IllegalStateException("tokenizer returned " + ids[i].length + " ids, expected "
                        + maxSequenceLength);
            }
        }
        return new Tokens(ids, mask);
    }

    public Tokens encode(String prompt) {
        return encode(List.of(prompt));
    }

    /** Subword pieces of a prompt (no special tokens, no padding), for inspection. */
    public List<String> pieces(String prompt) {
        return tokenizer.tokenize(prompt);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}

package dev.qvgen.models.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.models.io.CheckpointException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The T5/UMT5 tokenizer of a diffusers pipeline ({@code tokenizer/tokenizer.json}, a SentencePiece
 * unigram model in Hugging Face tokenizers format), run by DJL's binding of the Rust tokenizers
 * library. Prompts are tokenized as the Wan and CogVideoX pipelines do: {@code </s>} appended,
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
     * @param dir a pipeline's {@code tokenizer/} directory (or the {@code tokenizer.json} itself)
     * @param maxSequenceLength the pipeline's max_sequence_length (226 for CogVideoX, 512 for Wan)
     */
    public static T5Tokenizer fromPretrained(Path dir, int maxSequenceLength) {
        Path json = Files.isDirectory(dir) ? dir.resolve("tokenizer.json") : dir;
        if (!Files.isRegularFile(json)) {
            throw new CheckpointException(json + ": file not found (a tokenizer.json is needed; "
                    + "a spiece.model-only tokenizer is not supported)");
        }
        if (maxSequenceLength < 1) {
            throw new IllegalArgumentException("maxSequenceLength must be positive, got " + maxSequenceLength);
        }
        try {
            HuggingFaceTokenizer t = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(json)
                    .optAddSpecialTokens(true)
                    .optTruncation(true)
                    .optPadToMaxLength()
                    .optMaxLength(maxSequenceLength)
                    .build();
            return new T5Tokenizer(t, maxSequenceLength);
        } catch (IOException e) {
            throw new CheckpointException(json + ": cannot read (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            throw new CheckpointException(json + ": not a tokenizers file (" + e.getMessage() + ")", e);
        }
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

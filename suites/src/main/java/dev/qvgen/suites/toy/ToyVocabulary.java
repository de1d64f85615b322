package dev.qvgen.suites.toy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The fixed, ordered word list of the toy world, used to turn captions into token ids.
 * Order: {@code <pad>} (id 0), {@code <unk>} (id 1), "a", "and", "moves", then the colour,
 * shape, direction and speed words in enum order. The order is part of the contract: models
 * trained on these ids depend on it.
 */
public final class ToyVocabulary {
    public static final String PAD = "<pad>";
    public static final String UNKNOWN = "<unk>";
    public static final int PAD_ID = 0;
    public static final int UNKNOWN_ID = 1;
    public static final int DEFAULT_MAX_LENGTH = 16;

    private static final List<String> WORDS = buildWords();
    private static final Map<String, Integer> IDS = buildIds();

    /** All instances are equal: the vocabulary is fixed by the world's attribute enums. */
    public ToyVocabulary() {
    }

    private static List<String> buildWords() {
        List<String> words = new ArrayList<>(List.of(PAD, UNKNOWN, "a", "and", "moves"));
        for (ToyColor value : ToyColor.values()) {
            words.add(value.word());
        }
        for (ToyShape value : ToyShape.values()) {
            words.add(value.word());
        }
        for (ToyDirection value : ToyDirection.values()) {
            words.add(value.word());
        }
        for (ToySpeed value : ToySpeed.values()) {
            words.add(value.word());
        }
        return Collections.unmodifiableList(words);
    }

    private static Map<String, Integer> buildIds() {
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < WORDS.size(); i++) {
            ids.put(WORDS.get(i), i);
        }
        return Map.copyOf(ids);
    }

    /** Id of a word, or {@link #UNKNOWN_ID} if the world does not know it. */
    public int id(String word) {
        return IDS.getOrDefault(word.toLowerCase(Locale.ROOT), UNKNOWN_ID);
    }

    public int size() {
        return WORDS.size();
    }

    public List<String> words() {
        return WORDS;
    }

    /** Token ids of a caption, padded with {@link #PAD_ID} to {@link #DEFAULT_MAX_LENGTH}. */
    public int[] encode(String caption) {
        return encode(caption, DEFAULT_MAX_LENGTH);
    }

    /**
     * Lower-cases, splits on whitespace, maps unknown words to {@link #UNKNOWN_ID} and pads
     * with {@link #PAD_ID} to {@code maxLen}.
     *
     * @throws IllegalArgumentException if the caption has more than {@code maxLen} words;
     *         silently truncating would condition a model on a different prompt
     */
    public int[] encode(String caption, int maxLen) {
        String trimmed = caption.trim();
        String[] tokens = trimmed.isEmpty() ? new String[0] : trimmed.toLowerCase(Locale.ROOT).split("\\s+");
        if (tokens.length > maxLen) {
            throw new IllegalArgumentException("caption has " + tokens.length + " words, more than maxLen "
                    + maxLen + ": '" + caption + "'");
        }
        int[] ids = new int[maxLen];
        for (int i = 0; i < tokens.length; i++) {
            ids[i] = id(tokens[i]);
        }
        return ids;
    }
}

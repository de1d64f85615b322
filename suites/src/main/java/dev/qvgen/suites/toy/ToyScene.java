package dev.qvgen.suites.toy;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The objects of one clip. Colours are distinct within a scene because scoring identifies
 * each expected object by its colour.
 */
public record ToyScene(List<ToyObject> objects) {

    private static final String JOINER = " and ";
    private static final int WORDS_PER_OBJECT = 6;

    public ToyScene {
        objects = List.copyOf(objects);
        if (objects.isEmpty()) {
            throw new IllegalArgumentException("a scene needs at least one object");
        }
        Set<ToyColor> seen = EnumSet.noneOf(ToyColor.class);
        for (ToyObject object : objects) {
            if (!seen.add(object.color())) {
                throw new IllegalArgumentException("two objects share the colour " + object.color().word());
            }
        }
    }

    public static ToyScene of(ToyObject... objects) {
        return new ToyScene(List.of(objects));
    }

    /** e.g. "a red circle moves left slowly and a blue square moves up quickly". */
    public String caption() {
        return objects.stream().map(ToyObject::phrase).collect(Collectors.joining(JOINER));
    }

    public boolean isPlaced() {
        return objects.stream().allMatch(ToyObject::isPlaced);
    }

    /** The same attributes with start positions forgotten (NaN). */
    public ToyScene unplaced() {
        return new ToyScene(objects.stream().map(ToyObject::unplaced).toList());
    }

    /**
     * Reads a caption back into attributes (start positions NaN). Matching is case-insensitive
     * and tolerant of extra whitespace, but the grammar is strict:
     * {@code a <colour> <shape> moves <direction> <speed> [and a ...]}.
     *
     * @throws IllegalArgumentException naming the offending word and the caption
     */
    public static ToyScene parse(String caption) {
        if (caption == null || caption.isBlank()) {
            throw new IllegalArgumentException("empty caption");
        }
        String[] words = caption.trim().toLowerCase(Locale.ROOT).split("\\s+");
        List<ToyObject> objects = new ArrayList<>();
        int i = 0;
        while (true) {
            if (words.length - i < WORDS_PER_OBJECT) {
                throw new IllegalArgumentException("caption ends early after word " + i + ": '" + caption + "'");
            }
            try {
                expect(words[i], "a");
                ToyColor color = ToyColor.fromWord(words[i + 1]);
                ToyShape shape = ToyShape.fromWord(words[i + 2]);
                expect(words[i + 3], "moves");
                ToyDirection direction = ToyDirection.fromWord(words[i + 4]);
                ToySpeed speed = ToySpeed.fromWord(words[i + 5]);
                objects.add(ToyObject.unplaced(color, shape, direction, speed));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage() + " in caption '" + caption + "'", e);
            }
            i += WORDS_PER_OBJECT;
            if (i == words.length) {
                break;
            }
            try {
                expect(words[i], "and");
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage() + " in caption '" + caption + "'", e);
            }
            i++;
        }
        try {
            return new ToyScene(objects);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " in caption '" + caption + "'", e);
        }
    }

    private static void expect(String word, String wanted) {
        if (!word.equals(wanted)) {
            throw new IllegalArgumentException("expected '" + wanted + "' but found word '" + word + "'");
        }
    }
}

package dev.qvgen.suites.toy;

import java.util.Locale;

/** Shared word-to-enum lookup so every attribute reports a bad word the same way. */
final class ToyWords {
    private ToyWords() {
    }

    static <E extends Enum<E>> E lookup(Class<E> type, String kind, String word) {
        if (word != null) {
            String wanted = word.toLowerCase(Locale.ROOT);
            for (E value : type.getEnumConstants()) {
                if (value.name().toLowerCase(Locale.ROOT).equals(wanted)) {
                    return value;
                }
            }
        }
        throw new IllegalArgumentException("unknown " + kind + " word '" + word + "'");
    }
}

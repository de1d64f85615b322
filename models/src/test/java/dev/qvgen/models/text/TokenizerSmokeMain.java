package dev.qvgen.models.text;

import java.nio.file.Path;
import java.util.Arrays;

/** Tokenizes one prompt in a fresh JVM, for {@link TokenizerOfflineTest}. */
public final class TokenizerSmokeMain {
    private TokenizerSmokeMain() {}

    public static void main(String[] args) {
        try (T5Tokenizer t = T5Tokenizer.fromPretrained(Path.of(args[0]), 16)) {
            System.out.println("ids=" + Arrays.toString(t.encode("a red car").inputIds()[0]));
        }
    }
}

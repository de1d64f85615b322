package dev.qvgen.suites.toy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ToyVocabularyTest {
    private final ToyVocabulary vocabulary = new ToyVocabulary();

    @Test
    void wordListIsFixedAndOrdered() {
        assertEquals(20, vocabulary.size());
        assertEquals(List.of("<pad>", "<unk>", "a", "and", "moves", "red", "green", "blue", "yellow", "cyan",
                "magenta", "circle", "square", "triangle", "left", "right", "up", "down", "slowly", "quickly"),
                vocabulary.words());
    }

    @Test
    void encodesAndPads() {
        int[] ids = vocabulary.encode("A red circle moves left slowly", 8);
        assertArrayEquals(new int[] {2, 5, 11, 4, 14, 18, 0, 0}, ids);
        assertEquals(16, vocabulary.encode("a red circle moves left slowly").length);
    }

    @Test
    void unknownWordsBecomeUnk() {
        int[] ids = vocabulary.encode("a purple circle", 4);
        assertArrayEquals(new int[] {2, ToyVocabulary.UNKNOWN_ID, 11, 0}, ids);
    }

    @Test
    void everySuiteCaptionEncodesWithoutUnknownWords() {
        for (ToyPrompt prompt : ToyPromptSuite.standard()) {
            int[] ids = vocabulary.encode(prompt.caption());
            assertEquals(0, Arrays.stream(ids).filter(id -> id == ToyVocabulary.UNKNOWN_ID).count(), prompt.caption());
            assertEquals(prompt.caption().split(" ").length, Arrays.stream(ids).filter(id -> id != 0).count());
        }
    }

    @Test
    void tooLongCaptionsAreRejectedRatherThanTruncated() {
        assertThrows(IllegalArgumentException.class, () -> vocabulary.encode("a red circle moves left slowly", 5));
    }
}

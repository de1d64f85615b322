package dev.qvgen.suites.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ToySceneTest {

    @Test
    void captionsFollowTheFixedGrammar() {
        ToyObject red = ToyObject.unplaced(ToyColor.RED, ToyShape.CIRCLE, ToyDirection.LEFT, ToySpeed.SLOWLY);
        ToyObject blue = ToyObject.unplaced(ToyColor.BLUE, ToyShape.SQUARE, ToyDirection.UP, ToySpeed.QUICKLY);
        assertEquals("a red circle moves left slowly", ToyScene.of(red).caption());
        assertEquals("a red circle moves left slowly and a blue square moves up quickly",
                ToyScene.of(red, blue).caption());
    }

    @Test
    void sampledCaptionsRoundTripThroughParse() {
        ToyWorld world = ToyWorld.defaults();
        Random rng = new Random(7);
        for (int i = 0; i < 300; i++) {
            ToyScene scene = world.sampleScene(rng);
            ToyScene parsed = ToyScene.parse(scene.caption());
            assertEquals(scene.unplaced(), parsed);
            assertFalse(parsed.isPlaced());
            assertTrue(Double.isNaN(parsed.objects().get(0).startX()));
        }
    }

    @Test
    void parseIsCaseAndWhitespaceTolerant() {
        ToyScene scene = ToyScene.parse("  A Cyan  TRIANGLE moves\tdown quickly ");
        assertEquals(ToyObject.unplaced(ToyColor.CYAN, ToyShape.TRIANGLE, ToyDirection.DOWN, ToySpeed.QUICKLY),
                scene.objects().get(0));
    }

    @Test
    void parseErrorsNameTheBadWord() {
        IllegalArgumentException colour = assertThrows(IllegalArgumentException.class,
                () -> ToyScene.parse("a purple circle moves left slowly"));
        assertTrue(colour.getMessage().contains("'purple'"), colour.getMessage());
        IllegalArgumentException joiner = assertThrows(IllegalArgumentException.class,
                () -> ToyScene.parse("a red circle moves left slowly or a blue square moves up quickly"));
        assertTrue(joiner.getMessage().contains("'or'"), joiner.getMessage());
        IllegalArgumentException speed = assertThrows(IllegalArgumentException.class,
                () -> ToyScene.parse("a red circle moves left fast"));
        assertTrue(speed.getMessage().contains("'fast'"), speed.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ToyScene.parse("a red circle moves left slowly and"));
    }

    @Test
    void twoObjectsMayNotShareAColour() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ToyScene.parse("a red circle moves left slowly and a red square moves up quickly"));
        assertTrue(e.getMessage().contains("red"), e.getMessage());
    }

    @Test
    void attributeWordsRoundTrip() {
        for (ToyColor value : ToyColor.values()) {
            assertEquals(value, ToyColor.fromWord(value.word()));
        }
        for (ToyShape value : ToyShape.values()) {
            assertEquals(value, ToyShape.fromWord(value.word()));
        }
        for (ToyDirection value : ToyDirection.values()) {
            assertEquals(value, ToyDirection.fromWord(value.word()));
        }
        for (ToySpeed value : ToySpeed.values()) {
            assertEquals(value, ToySpeed.fromWord(value.word()));
        }
        assertThrows(IllegalArgumentException.class, () -> ToyShape.fromWord("hexagon"));
    }
}

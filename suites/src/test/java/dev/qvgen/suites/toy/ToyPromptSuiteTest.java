package dev.qvgen.suites.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ToyPromptSuiteTest {
    private final List<ToyPrompt> suite = ToyPromptSuite.standard();

    @Test
    void hasThirtyTwoDistinctIndexedCaptions() {
        assertEquals(32, suite.size());
        Set<String> captions = suite.stream().map(ToyPrompt::caption).collect(Collectors.toSet());
        assertEquals(32, captions.size());
        for (int i = 0; i < suite.size(); i++) {
            assertEquals(i, suite.get(i).index());
            assertEquals(suite.get(i).caption(), suite.get(i).scene().caption());
            assertFalse(suite.get(i).scene().isPlaced());
        }
    }

    @Test
    void aboutAThirdAreTwoObjectScenes() {
        long two = suite.stream().filter(p -> p.scene().objects().size() == 2).count();
        assertEquals(11, two);
    }

    @Test
    void everyAttributeValueAppearsSeveralTimes() {
        Map<ToyColor, Integer> colours = new EnumMap<>(ToyColor.class);
        Map<ToyShape, Integer> shapes = new EnumMap<>(ToyShape.class);
        Map<ToyDirection, Integer> directions = new EnumMap<>(ToyDirection.class);
        Map<ToySpeed, Integer> speeds = new EnumMap<>(ToySpeed.class);
        for (ToyPrompt prompt : suite) {
            for (ToyObject o : prompt.scene().objects()) {
                colours.merge(o.color(), 1, Integer::sum);
                shapes.merge(o.shape(), 1, Integer::sum);
                directions.merge(o.direction(), 1, Integer::sum);
                speeds.merge(o.speed(), 1, Integer::sum);
            }
        }
        assertEquals(ToyColor.values().length, colours.size());
        assertEquals(ToyShape.values().length, shapes.size());
        assertEquals(ToyDirection.values().length, directions.size());
        assertEquals(ToySpeed.values().length, speeds.size());
        colours.values().forEach(n -> assertTrue(n >= 7, "colour count " + n));
        shapes.values().forEach(n -> assertTrue(n >= 14, "shape count " + n));
        directions.values().forEach(n -> assertTrue(n >= 10, "direction count " + n));
        speeds.values().forEach(n -> assertTrue(n >= 21, "speed count " + n));
    }

    @Test
    void everyPromptCanBeRenderedInTheDefaultWorld() {
        ToyWorld world = ToyWorld.defaults();
        for (ToyPrompt prompt : suite) {
            ToyScene placed = world.placeScene(prompt.scene(), new Random(prompt.index()));
            assertEquals(prompt.scene(), placed.unplaced());
        }
    }

    @Test
    void writeThenReadGivesTheSameSuite(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("prompts.txt");
        ToyPromptSuite.write(file);
        assertEquals(32, Files.readAllLines(file).size());
        assertEquals(suite, ToyPromptSuite.read(file));
    }

    @Test
    void readErrorsNameTheFileAndLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad.txt");
        Files.writeString(file, "# comment\na red circle moves left slowly\n\na red blob moves up quickly\n",
                StandardCharsets.UTF_8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ToyPromptSuite.read(file));
        assertTrue(e.getMessage().startsWith(file + ":4: "), e.getMessage());
        assertTrue(e.getMessage().contains("'blob'"), e.getMessage());
    }
}

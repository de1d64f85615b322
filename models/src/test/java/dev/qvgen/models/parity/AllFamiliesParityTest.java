package dev.qvgen.models.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

/**
 * What `qvgen parity` reports for each golden family: every tensor of the golden file compared
 * (none skipped) and within tolerance, pipe.frames included.
 */
class AllFamiliesParityTest {
    @ParameterizedTest
    @ValueSource(strings = {"wan2.1", "cogvideox-2b", "cogvideox-5b", "cogvideox1.5-5b"})
    void everyGoldenTensorIsComparedAndPasses(String family) {
        Path dir = Path.of("../shared/fixtures/golden").resolve(family);
        List<ParityResult> results = GoldenParity.run(dir.resolve("pipeline"), dir.resolve("golden.safetensors"));
        assertTrue(results.size() >= 15, family + ": " + results.size() + " lines");
        for (ParityResult r : results) {
            assertTrue(!r.isSkipped(), family + ": " + r.line());
            assertTrue(r.passed(), family + ": " + r.line());
        }
        assertEquals(1, results.stream().filter(r -> r.name().equals("pipe.frames")).count(), family);
    }
}

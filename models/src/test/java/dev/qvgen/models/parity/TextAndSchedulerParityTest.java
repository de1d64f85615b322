package dev.qvgen.models.parity;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/** {@code qvgen parity} compares every te.* and sched.* tensor of every family, and they pass. */
class TextAndSchedulerParityTest {
    static final Path GOLDEN = Path.of("../shared/fixtures/golden");

    @ParameterizedTest
    @ValueSource(strings = {"wan2.1", "cogvideox-2b", "cogvideox-5b", "cogvideox1.5-5b"})
    void textAndSchedulerTensorsAreComparedAndPass(String family) {
        Path dir = GOLDEN.resolve(family);
        List<ParityResult> results = GoldenParity.run(dir.resolve("pipeline"), dir.resolve("golden.safetensors"));
        List<ParityResult> ours = results.stream()
                .filter(r -> r.name().startsWith("te.") || r.name().startsWith("sched."))
                .collect(Collectors.toList());
        String report = ours.stream().map(ParityResult::line).collect(Collectors.joining("\n"));
        System.out.println(family + ":\n" + report);
        assertTrue(ours.size() >= 8, report);
        for (ParityResult r : ours) {
            assertFalse(r.isSkipped(), r.line());
            assertTrue(r.passed(), r.line());
        }
        assertTrue(ours.stream().anyMatch(r -> r.name().equals("te.input_ids")), report);
        assertTrue(ours.stream().anyMatch(r -> r.name().equals("te.last_hidden_state_nomask")), report);
        assertTrue(ours.stream().anyMatch(r -> r.name().matches("sched\\.(unipc|ddim)\\.prev_sample\\.\\d+")), report);
    }
}

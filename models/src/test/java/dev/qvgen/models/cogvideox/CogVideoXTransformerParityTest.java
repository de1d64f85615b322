package dev.qvgen.models.cogvideox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;

import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.models.parity.CogVideoXParity;
import dev.qvgen.models.parity.GoldenParity;
import dev.qvgen.models.parity.ParityResult;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** One transformer forward per CogVideoX fixture against the reference (sin-cos 2B, RoPE 5B, 1.5 with t-patches). */
class CogVideoXTransformerParityTest {
    static final Path GOLDEN = Path.of("../shared/fixtures/golden");

    @ParameterizedTest
    @ValueSource(strings = {"cogvideox-2b", "cogvideox-5b", "cogvideox1.5-5b"})
    void matchesReferenceOutputFirstBlockAndRopeTables(String family) {
        Path dir = GOLDEN.resolve(family);
        try (NDManager m = NDManager.newBaseManager();
                SafeTensorsFile g = SafeTensorsFile.open(dir.resolve("golden.safetensors"))) {
            Map<String, ParityResult> r = CogVideoXParity.transformer(dir.resolve("pipeline"), g, m);
            r.values().forEach(x -> System.out.println(family + " " + x.line()));
            boolean rope = g.names().contains("tr.rope_cos");
            List<String> expected = rope
                    ? List.of("tr.out", "tr.block0_out", "tr.rope_cos", "tr.rope_sin")
                    : List.of("tr.out", "tr.block0_out");
            assertEquals(expected, List.copyOf(r.keySet()));
            for (ParityResult x : r.values()) {
                assertFalse(x.isSkipped(), x.line());
                assertTrue(x.relL2() < GoldenParity.TOLERANCE, family + " " + x.line());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cogvideox-2b", "cogvideox-5b", "cogvideox1.5-5b"})
    void goldenParityReportsTheTransformerTensors(String family) {
        Path dir = GOLDEN.resolve(family);
        List<ParityResult> all = GoldenParity.run(dir.resolve("pipeline"), dir.resolve("golden.safetensors"));
        long transformerOk = all.stream().filter(x -> x.name().startsWith("tr.") && x.passed()).count();
        long transformerAll = all.stream().filter(x -> x.name().startsWith("tr.")).count();
        assertTrue(transformerAll >= 2);
        assertEquals(transformerAll, transformerOk);
    }
}

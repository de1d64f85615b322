package dev.qvgen.models.vae;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.models.parity.GoldenParity;
import dev.qvgen.models.parity.ParityResult;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

/** The {@code qvgen parity} engine compares the VAE tensors of a CogVideoX golden file. */
class VaeGoldenParityTest {
    @Test
    void parityEngineReportsVaeTensors() {
        Path f = Path.of("../shared/fixtures/golden/cogvideox1.5-5b");
        List<ParityResult> results = GoldenParity.run(f.resolve("pipeline"), f.resolve("golden.safetensors"));
        for (String name : List.of("vae.encode.mean", "vae.decode.out")) {
            ParityResult r = results.stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
            System.out.println(r.line());
            assertTrue(r.passed(), r.line());
        }
    }
}

package dev.qvgen.models.parity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.nn.Tensors;
import dev.qvgen.models.vae.VideoVae;
import dev.qvgen.models.vae.VideoVaes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The VAE part of the golden comparison: {@code vae.encode.x → vae.encode.mean} (latent mean,
 * unscaled) and {@code vae.decode.z → vae.decode.out}, for every VAE family {@link VideoVaes}
 * knows. Other families are left for {@link GoldenParity} to report as skipped.
 */
final class VaeParity {
    private VaeParity() {}

    static void compare(Path pipelineDir, SafeTensorsFile g, NDManager m, Map<String, ParityResult> done) {
        boolean encode = g.names().contains("vae.encode.mean") && g.names().contains("vae.encode.x");
        boolean decode = g.names().contains("vae.decode.out") && g.names().contains("vae.decode.z");
        Path dir = pipelineDir.resolve("vae");
        if ((!encode && !decode) || !Files.isDirectory(dir) || !VideoVaes.supports(VideoVaes.className(dir))) {
            return;
        }
        try (NDScope scope = new NDScope()) {
            VideoVae vae = VideoVaes.fromPretrained(dir, m);
            if (encode) {
                put(done, "vae.encode.mean", vae.encodeMean(g.load("vae.encode.x", m)), g, m);
            }
            if (decode) {
                put(done, "vae.decode.out", vae.decode(g.load("vae.decode.z", m)), g, m);
            }
        }
    }

    private static void put(Map<String, ParityResult> done, String name, NDArray actual, SafeTensorsFile g,
            NDManager m) {
        NDArray expected = g.load(name, m);
        double err = expected.getShape().equals(actual.getShape()) ? Tensors.relativeL2(actual, expected) : Double.NaN;
        done.put(name, ParityResult.compared(name, err, GoldenParity.TOLERANCE));
    }
}

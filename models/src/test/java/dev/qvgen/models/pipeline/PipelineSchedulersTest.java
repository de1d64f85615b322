package dev.qvgen.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.nn.Tensors;
import dev.qvgen.models.wan.WanPipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The pipelines with the other schedulers a checkpoint may ship (CogVideoX DPM, flow-match
 * Euler) and the checks on what they do not support.
 */
class PipelineSchedulersTest {
    static final Path GOLDEN = Path.of("../shared/fixtures/golden");

    @TempDir
    Path tmp;

    /** A copy of a golden pipeline with {@code scheduler_config.json}'s class replaced. */
    private Path withScheduler(String family, String cls, String extraJson) throws IOException {
        Path src = GOLDEN.resolve(family).resolve("pipeline");
        Path dir = tmp.resolve(family + "-" + cls);
        try (Stream<Path> all = Files.walk(src)) {
            for (Path p : all.toList()) {
                Path t = dir.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        Path cfg = dir.resolve("scheduler/scheduler_config.json");
        String json = Files.readString(cfg).replaceFirst("\"_class_name\": \"[A-Za-z]+\"", "\"_class_name\": \"" + cls + "\"");
        if (extraJson != null) {
            json = "{" + extraJson + "}";
        }
        cfg.toFile().setWritable(true);
        Files.writeString(cfg, json);
        return dir;
    }

    @Test
    void cogVideoXDpmDrawsNoisePerStepAndIsReproducible() throws Exception {
        Path dir = withScheduler("cogvideox-2b", "CogVideoXDPMScheduler", null);
        VideoPipeline.Settings s = new VideoPipeline.Settings(32, 48, 9, 3, 6.0, 16);
        try (NDManager m = NDManager.newBaseManager(); VideoPipeline p = VideoPipeline.fromPretrained(dir, m);
                VideoPipeline ddim = VideoPipeline.fromPretrained(GOLDEN.resolve("cogvideox-2b/pipeline"), m)) {
            Shape shape = p.latentShape(s);
            AtomicInteger draws = new AtomicInteger();
            VideoPipeline.Noise seeded = VideoPipeline.Noise.seeded(7);
            VideoPipeline.Noise counting = (mm, sh) -> {
                draws.incrementAndGet();
                return seeded.next(mm, sh);
            };
            NDArray a = p.generate("a red car", "blurry", counting.next(m, shape), s, counting);
            // 1 for the latents; the reference DPM step draws once on the first and last step, twice between
            assertEquals(1 + 1 + 2 + 1, draws.get());
            VideoPipeline.Noise again = VideoPipeline.Noise.seeded(7);
            NDArray b = p.generate("a red car", "blurry", again.next(m, shape), s, again);
            assertEquals(0.0, Tensors.relativeL2(a, b), "same seed, same video");
            VideoPipeline.Noise other = VideoPipeline.Noise.seeded(7);
            NDArray c = ddim.generate("a red car", "blurry", other.next(m, shape), s, other);
            assertTrue(Tensors.relativeL2(a, c) > 1e-3, "DPM differs from DDIM");
            assertEquals(new Shape(9, 32, 48, 3), a.getShape());
        }
    }

    @Test
    void wanRunsWithFlowMatchEuler() throws Exception {
        Path dir = withScheduler("wan2.1", "FlowMatchEulerDiscreteScheduler",
                "\"_class_name\": \"FlowMatchEulerDiscreteScheduler\", \"num_train_timesteps\": 1000, \"shift\": 3.0");
        VideoPipeline.Settings s = new VideoPipeline.Settings(32, 48, 9, 3, 5.0, 16);
        try (NDManager m = NDManager.newBaseManager(); VideoPipeline p = VideoPipeline.fromPretrained(dir, m)) {
            VideoPipeline.Noise n = VideoPipeline.Noise.seeded(1);
            NDArray v = p.generate("a red car", "", n.next(m, p.latentShape(s)), s, n);
            assertEquals(new Shape(9, 32, 48, 3), v.getShape());
            float min = v.min().getFloat();
            float max = v.max().getFloat();
            assertTrue(min >= 0f && max <= 1f && max > min, min + ".." + max);
        }
    }

    @Test
    void unsupportedSchedulerAndSizesAreClearErrors() throws Exception {
        Path dir = withScheduler("wan2.1", "DDIMScheduler", null);
        try (NDManager m = NDManager.newBaseManager()) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> VideoPipeline.fromPretrained(dir, m));
            assertTrue(e.getMessage().contains("DDIMScheduler"), e.getMessage());
            try (VideoPipeline p = VideoPipeline.fromPretrained(GOLDEN.resolve("cogvideox1.5-5b/pipeline"), m)) {
                IllegalArgumentException f = assertThrows(IllegalArgumentException.class,
                        () -> p.latentShape(new VideoPipeline.Settings(32, 48, 10, 1, 6, 16)));
                assertTrue(f.getMessage().contains("num_frames"), f.getMessage());
                // 17 frames -> 5 latent frames, padded to 6 for patch_size_t 2
                assertEquals(new Shape(1, 6, 4, 4, 6), p.latentShape(new VideoPipeline.Settings(32, 48, 17, 1, 6, 16)));
            }
        }
    }

    @Test
    void wanPromptCleaning() {
        assertEquals("a cat & a dog on a sofa", WanPipeline.clean("  a cat &amp;amp; a   dog\n on\ta sofa "));
        assertEquals("café", WanPipeline.clean("caf&#233;"));
    }
}

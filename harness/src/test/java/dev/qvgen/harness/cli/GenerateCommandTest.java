package dev.qvgen.harness.cli;

import dev.qvgen.harness.CliRun;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.harness.Main;
import dev.qvgen.video.Mp4Reader;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;

/** {@code qvgen generate} on the shrunk golden pipelines: VBench names, resume, decodable MP4s, bad input. */
class GenerateCommandTest {
    static final Path GOLDEN = Path.of("../shared/fixtures/golden");

    @TempDir
    Path tmp;

    static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private static final String[] TOY_WAN = {"--height", "32", "--width", "48", "--frames", "9", "--steps", "2",
        "--guidance", "5", "--max-sequence-length", "16", "--threads", "1"};

    /** The subcommand and its arguments, then {@code tail} (options must follow the subcommand). */
    private static String[] concat(String[] tail, String... head) {
        return Stream.concat(Stream.of(head), Stream.of(tail)).toArray(String[]::new);
    }

    @Test
    void twoPromptsTwoSeedsThenResume() throws Exception {
        Path prompts = tmp.resolve("prompts.txt");
        Files.writeString(prompts, "a red car drives along a coastal road\n\n  a cat  sleeps on a sofa \n");
        Path out = tmp.resolve("videos");
        long t0 = System.nanoTime();
        CliRun r = run(concat(TOY_WAN, "generate", "--pipeline-dir", GOLDEN.resolve("wan2.1/pipeline").toString(),
                "--prompts", prompts.toString(), "--out", out.toString(), "--seeds", "0,1"));
        System.out.printf("generate 4 toy Wan videos: %.1fs%n", (System.nanoTime() - t0) / 1e9);
        assertEquals(0, r.code(), r.out() + r.err());
        List<String> names = List.of("a red car drives along a coastal road-0.mp4",
                "a red car drives along a coastal road-1.mp4", "a cat  sleeps on a sofa-0.mp4",
                "a cat  sleeps on a sofa-1.mp4");
        try (Stream<Path> files = Files.list(out)) {
            // and the record of the settings the videos were made with (docs/RELIABILITY.md)
            assertEquals(Stream.concat(names.stream(), Stream.of("run-settings.json")).sorted().toList(),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "only the four videos, no temp files");
        }
        float[][][][] v0 = Mp4Reader.read(out.resolve(names.get(0)));
        float[][][][] v1 = Mp4Reader.read(out.resolve(names.get(1)));
        assertEquals(9, v0.length);
        assertEquals(32, v0[0].length);
        assertEquals(48, v0[0][0].length);
        assertFalse(java.util.Arrays.deepEquals(v0, v1), "seeds 0 and 1 give different videos");
        assertTrue(r.out().contains("[generate] 4/4"), r.out());

        // Resume: nothing is regenerated; a deleted video is made again, identically.
        FileTime kept = Files.getLastModifiedTime(out.resolve(names.get(0)));
        byte[] before = Files.readAllBytes(out.resolve(names.get(3)));
        Files.delete(out.resolve(names.get(3)));
        CliRun again = run(concat(TOY_WAN, "generate", "--pipeline-dir", GOLDEN.resolve("wan2.1/pipeline").toString(),
                "--prompts", prompts.toString(), "--out", out.toString(), "--seeds", "0,1"));
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("3 already"), again.out());
        assertEquals(kept, Files.getLastModifiedTime(out.resolve(names.get(0))));
        assertArrayEquals(before, Files.readAllBytes(out.resolve(names.get(3))), "same seed, same bytes");

        CliRun done = run(concat(TOY_WAN, "generate", "--pipeline-dir", GOLDEN.resolve("wan2.1/pipeline").toString(),
                "--prompts", prompts.toString(), "--out", out.toString(), "--seeds", "0,1"));
        assertEquals(0, done.code());
        assertTrue(done.out().contains("4 already"), done.out());
        assertFalse(done.out().contains("loaded"), "nothing to do: the model is not even loaded");
    }

    @Test
    void registryModelOnItsShrunkCheckpointWithVbenchJson() throws Exception {
        Path prompts = tmp.resolve("VBench_full_info.json");
        Files.writeString(prompts, "[{\"prompt_en\": \"a dog runs on the beach\", \"dimension\": [\"subject_consistency\"]},"
                + "{\"prompt_en\": \"a dog runs on the beach\", \"dimension\": [\"dynamic_degree\"]}]");
        Path out = tmp.resolve("cog");
        CliRun r = run("generate", "--model", "cogvideox-2b", "--model-dir",
                GOLDEN.resolve("cogvideox-2b/pipeline").toString(), "--prompts", prompts.toString(), "--out",
                out.toString(), "--height", "32", "--width", "48", "--frames", "9", "--steps", "2",
                "--max-sequence-length", "16", "--weights-dtype", "fp16", "--threads", "1");
        assertEquals(0, r.code(), r.out() + r.err());
        float[][][][] v = Mp4Reader.read(out.resolve("a dog runs on the beach-0.mp4"));
        assertEquals(9, v.length);
        assertTrue(r.out().contains("fp16 weights"), r.out());

        // bf16-resident weights (raw bytes, widened per layer) generate too
        Path outBf16 = tmp.resolve("cog-bf16");
        CliRun b = run("generate", "--model", "cogvideox-2b", "--model-dir",
                GOLDEN.resolve("cogvideox-2b/pipeline").toString(), "--prompts", prompts.toString(), "--out",
                outBf16.toString(), "--height", "32", "--width", "48", "--frames", "9", "--steps", "2",
                "--max-sequence-length", "16", "--weights-dtype", "bf16", "--threads", "1");
        assertEquals(0, b.code(), b.out() + b.err());
        assertEquals(9, Mp4Reader.read(outBf16.resolve("a dog runs on the beach-0.mp4")).length);
        assertTrue(b.out().contains("bf16 weights"), b.out());
    }

    @Test
    void incompleteDirectoryIsOneLineExitTwo() throws IOException {
        Path src = GOLDEN.resolve("wan2.1/pipeline");
        Path dir = tmp.resolve("partial");
        try (Stream<Path> all = Files.walk(src)) {
            for (Path p : all.toList()) {
                Path rel = src.relativize(p);
                if (rel.toString().equals("vae/diffusion_pytorch_model.safetensors")
                        || rel.toString().equals("scheduler/scheduler_config.json")) {
                    continue;
                }
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dir.resolve(rel));
                } else {
                    Files.copy(p, dir.resolve(rel));
                }
            }
        }
        Path prompts = tmp.resolve("p.txt");
        Files.writeString(prompts, "x\n");
        CliRun r = run("generate", "--model", "wan2.1-t2v-1.3b", "--model-dir", dir.toString(), "--prompts",
                prompts.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(2, r.code(), r.err());
        String line = r.err().strip();
        assertEquals(1, line.lines().count(), r.err());
        assertTrue(line.contains("vae/diffusion_pytorch_model.safetensors") && line.contains("scheduler_config.json")
                && line.contains(dir.toString()), line);
        assertFalse(Files.exists(tmp.resolve("o")), "nothing written");
    }

    @Test
    void badFlagsAreOneLineExitTwo() throws IOException {
        Path prompts = tmp.resolve("p.txt");
        Files.writeString(prompts, "x\n");
        String pipe = GOLDEN.resolve("wan2.1/pipeline").toString();
        String o = tmp.resolve("o").toString();
        for (String[] args : List.of(
                new String[] {"generate", "--pipeline-dir", pipe, "--prompts", prompts.toString(), "--out", o},
                new String[] {"generate", "--model", "nope", "--model-dir", pipe, "--prompts", prompts.toString(),
                    "--out", o},
                new String[] {"generate", "--random-weights", "--prompts", prompts.toString(), "--out", o},
                concat(TOY_WAN, "generate", "--pipeline-dir", pipe, "--prompts", prompts.toString(), "--out", o,
                        "--weights-dtype", "fp8"),
                concat(TOY_WAN, "generate", "--pipeline-dir", pipe, "--prompts", tmp.resolve("none.txt").toString(),
                        "--out", o))) {
            CliRun r = run(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
        CliRun r = run(concat(new String[] {"--frames", "10"}, "generate", "--pipeline-dir", pipe, "--prompts",
                prompts.toString(), "--out", o, "--height", "32", "--width", "48", "--steps", "1", "--guidance", "5"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("num_frames"), r.err());
    }
}

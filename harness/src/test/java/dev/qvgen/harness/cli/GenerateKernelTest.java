package dev.qvgen.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.harness.CliRun;
import dev.qvgen.video.Mp4Reader;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code qvgen generate --method rtn --bits w4a4 --kernel fp8}: the real low-bit kernel (on the CPU its
 * exact emulation) gives the simulated kernel's video, far closer to it than either is to full
 * precision; {@code --time-only} times without writing; bad combinations are one line, exit 2.
 */
class GenerateKernelTest {
    private static final String PIPE = GenerateCommandTest.GOLDEN.resolve("wan2.1/pipeline").toString();
    private static final String[] TOY = {"--height", "32", "--width", "48", "--frames", "9", "--steps", "2",
        "--guidance", "5", "--max-sequence-length", "16", "--threads", "1"};

    @TempDir
    Path tmp;

    private CliRun generate(Path out, String... extra) throws IOException {
        Path prompts = tmp.resolve("p.txt");
        Files.writeString(prompts, "a red car drives along a coastal road\n");
        String[] head = {"generate", "--pipeline-dir", PIPE, "--prompts", prompts.toString(), "--out", out.toString()};
        return CliRun.of(Stream.of(head, TOY, extra).flatMap(Stream::of).toArray(String[]::new));
    }

    private static float[][][][] video(Path dir) throws IOException {
        return Mp4Reader.read(dir.resolve("a red car drives along a coastal road-0.mp4"));
    }

    private static double meanAbs(float[][][][] a, float[][][][] b) {
        double s = 0;
        long n = 0;
        for (int f = 0; f < a.length; f++) {
            for (int y = 0; y < a[f].length; y++) {
                for (int x = 0; x < a[f][y].length; x++) {
                    for (int c = 0; c < a[f][y][x].length; c++) {
                        s += Math.abs(a[f][y][x][c] - b[f][y][x][c]);
                        n++;
                    }
                }
            }
        }
        return s / n;
    }

    @Test
    void realKernelGivesTheSimulatedVideo() throws Exception {
        CliRun fp = generate(tmp.resolve("fp"));
        CliRun sim = generate(tmp.resolve("sim"), "--method", "rtn", "--bits", "w4a4");
        CliRun real = generate(tmp.resolve("real"), "--method", "rtn", "--bits", "w4a4", "--kernel", "fp8");
        for (CliRun r : List.of(fp, sim, real)) {
            assertEquals(0, r.code(), r.out() + r.err());
        }
        assertTrue(real.out().contains("rtn w4a4 on real fp8 kernels (transformer weights as deployed:"), real.out());
        assertTrue(real.out().matches("(?s).*in [0-9.]+ s \\(text encoder [0-9.]+ s, 2 steps [0-9.]+ s, VAE decode [0-9.]+ s.*"),
                real.out());
        float[][][][] vFp = video(tmp.resolve("fp"));
        float[][][][] vSim = video(tmp.resolve("sim"));
        float[][][][] vReal = video(tmp.resolve("real"));
        assertEquals(9, vReal.length);
        double quantization = meanAbs(vSim, vFp);
        double kernel = meanAbs(vReal, vSim);
        System.out.printf("mean |sim - fp| %.5f, |real fp8 - sim| %.5f%n", quantization, kernel);
        assertTrue(quantization > 1e-3, "W4A4 changes the video: " + quantization);
        assertTrue(kernel < 0.1 * quantization, "the real kernel is the simulated one up to rounding: " + kernel
                + " against " + quantization);
    }

    @Test
    void timeOnlyWritesNothing() throws Exception {
        Path out = tmp.resolve("t");
        CliRun r = generate(out, "--method", "rtn", "--bits", "w4a4", "--kernel", "fp8-packed", "--time-only");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("MP4 writing not counted"), r.out());
        if (Files.exists(out)) {
            try (Stream<Path> files = Files.list(out)) {
                // the run directory keeps its settings record, but no video
                assertEquals(0, files.filter(p -> p.toString().endsWith(".mp4")).count(), "no MP4");
            }
        }
    }

    @Test
    void memoryLogNamesEveryStageInBf16WithTheRealKernel() throws Exception {
        // bf16 text encoder and transformer, the real kernel's dense weights freed: runs, and says
        // where the memory went after each stage
        CliRun r = generate(tmp.resolve("m"), "--method", "rtn", "--bits", "w4a4", "--kernel", "fp8", "--precision",
                "bf16", "--time-only", "--memory-log");
        assertEquals(0, r.code(), r.out() + r.err());
        for (String stage : List.of("loaded", "prompts encoded", "denoised", "decoded")) {
            assertTrue(r.out().matches("(?s).*generate: memory " + stage + ": in use [0-9.]+ GiB, peak [0-9.]+ GiB.*"),
                    stage + ": " + r.out());
        }
        assertTrue(r.out().contains("transformer and text encoder in bf16"), r.out());
    }

    @Test
    void badKernelCombinationsAreOneLineExitTwo() throws Exception {
        for (String[] extra : List.of(new String[] {"--kernel", "fp8"},
                new String[] {"--method", "rtn", "--bits", "w4a4", "--kernel", "fp4"},
                new String[] {"--method", "rtn", "--bits", "w8a8", "--kernel", "fp8"})) {
            Path out = tmp.resolve("bad");
            CliRun r = generate(out, extra);
            assertEquals(2, r.code(), String.join(" ", extra) + ": " + r.out() + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains("--kernel"), r.err());
            assertFalse(Files.exists(out), "nothing written");
        }
    }
}

package dev.qvgen.harness.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.qvgen.harness.Main;
import dev.qvgen.harness.profile.TransformerProfiler;
import dev.qvgen.harness.profile.TransformerQat;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.models.zoo.ModelRegistry;
import dev.qvgen.models.zoo.TransformerSpec;
import dev.qvgen.models.zoo.TransformerWorkload;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.Rtn;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** qvgen profile on the CPU: full-width models trimmed to one block at a tiny video size. */
class ProfileCommandTest {
    @TempDir
    Path tmp;

    static int run(String... args) {
        PrintStream old = System.out;
        try {
            System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            return Main.run(args);
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void profilesFpAndLowBitAndWritesCsvJsonAndReport() throws Exception {
        for (String model : List.of("wan2.1-t2v-1.3b", "cogvideox-2b")) {
            Path out = tmp.resolve(model);
            int code = run("profile", "--model", model, "--random-weights", "--layers", "1", "--frames", "5",
                    "--height", "32", "--width", "48", "--bits", "fp,w4a4", "--warmup", "1", "--runs", "2",
                    "--threads", "1", "--out", out.toString());
            assertEquals(0, code);
            List<String> csv = Files.readAllLines(out.resolve("profile.csv"));
            assertEquals(3, csv.size(), String.join("\n", csv));
            String[] head = csv.get(0).split(",");
            String[] fp = csv.get(1).split(",", -1);
            String[] q = csv.get(2).split(",", -1);
            int median = List.of(head).indexOf("median_ms");
            int full = List.of(head).indexOf("weight_bytes_full");
            int bytes = List.of(head).indexOf("weight_bytes");
            int finite = List.of(head).indexOf("finite");
            assertEquals("fp", fp[3]);
            assertEquals("w4a4", q[3]);
            assertTrue(Double.parseDouble(fp[median]) > 0);
            assertEquals(fp[full], fp[bytes]);
            // 4-bit packing of the block's linears: well under half the float32 bytes
            assertTrue(Long.parseLong(q[bytes]) < Long.parseLong(q[full]) / 2, q[bytes] + " vs " + q[full]);
            assertEquals("true", fp[finite]);
            assertEquals("true", q[finite]);
            // time shares: the fp forward quantizes nothing, the simulated W4A4 one does
            int lin = List.of(head).indexOf("share_linear");
            int att = List.of(head).indexOf("share_attention");
            int quant = List.of(head).indexOf("share_quantization");
            assertEquals(0.0, Double.parseDouble(fp[quant]));
            assertTrue(Double.parseDouble(q[quant]) > 0, q[quant]);
            for (String[] row : List.of(fp, q)) {
                double sum = Double.parseDouble(row[lin]) + Double.parseDouble(row[att]) + Double.parseDouble(row[quant]);
                assertTrue(Double.parseDouble(row[lin]) > 0 && Double.parseDouble(row[att]) > 0 && sum <= 1.0001,
                        String.join(",", row));
            }
            assertTrue(Files.readString(out.resolve("profile.json")).contains("\"medianMs\""));
            assertTrue(Files.readString(out.resolve("profile.md")).startsWith("## Transformer step profile"));
        }
    }

    @Test
    void realLowBitKernelsRunTheirCpuEmulationAndCountTheirCodes() throws Exception {
        Path out = tmp.resolve("real");
        String[] kernels = {"simulated", "fp8", "fp8-packed", "int8"};
        // one process, one row per kernel after the fp row
        dev.qvgen.harness.CliRun r = dev.qvgen.harness.CliRun.of("profile", "--model", "wan2.1-t2v-1.3b",
                "--random-weights", "--layers", "1", "--frames", "1", "--height", "16", "--width", "32", "--bits",
                "fp,w4a4", "--kernel", String.join(",", kernels), "--warmup", "0", "--runs", "1", "--threads", "1",
                "--precision", "fp32", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        // the Wan block hands q, k and v one array and cross-attention's k and v another: per pass 3
        // of its 10 linear calls (q/k/v/o, cross q/k/v/o, FFN up and down) take codes a sibling made
        java.util.regex.Matcher codes = java.util.regex.Pattern.compile(
                "w4a4 \\(fp8\\): activation codes made (\\d+) times and reused (\\d+) times").matcher(r.out());
        assertTrue(codes.find(), r.out());
        long made = Long.parseLong(codes.group(1));
        long reused = Long.parseLong(codes.group(2));
        assertTrue(reused > 0 && made > 0, codes.group());
        assertEquals(3 * (made + reused), 10 * reused, "3 of 10 linear calls per pass reuse codes: " + codes.group());
        List<String> csv = Files.readAllLines(out.resolve("profile.csv"));
        assertEquals(2 + kernels.length, csv.size(), String.join("\n", csv));
        List<String> head = List.of(csv.get(0).split(","));
        assertEquals("dense", csv.get(1).split(",", -1)[head.indexOf("kernel")]);
        long[] bytes = new long[kernels.length];
        for (int i = 0; i < kernels.length; i++) {
            String[] q = csv.get(2 + i).split(",", -1);
            assertEquals("w4a4", q[head.indexOf("bits")]);
            assertEquals(kernels[i], q[head.indexOf("kernel")]);
            assertEquals("true", q[head.indexOf("finite")]);
            assertTrue(Double.parseDouble(q[head.indexOf("speedup_vs_fp")]) > 0);
            bytes[i] = Long.parseLong(q[head.indexOf("weight_bytes")]);
        }
        assertTrue(Files.readString(out.resolve("profile.md")).contains("attention stays"));
        // one byte per weight for FP8 and int8 codes, half a byte packed (the simulated row counts packed 4-bit)
        assertEquals(bytes[1], bytes[3]);
        assertTrue(bytes[2] < bytes[1], bytes[2] + " vs " + bytes[1]);
    }

    @Test
    void packedWeightBytesEqualTheDeployedFormat() {
        var full = ((TransformerSpec.Wan) ModelRegistry.get("wan2.1-t2v-1.3b").transformer());
        TransformerSpec one = full.withLayers(1);
        try (NDManager m = NDManager.newBaseManager()) {
            Module tr = ModelRegistry.buildTransformer(one, m, true, 1);
            long fp = TransformerProfiler.weightBytes(tr, DataType.FLOAT32, 0);
            assertEquals(4 * ModelRegistry.parameterCount(tr), fp);
            long packed = TransformerProfiler.weightBytes(tr, DataType.FLOAT32, 3);
            Map<String, Linear> layers = LayerSelection.linears(tr, LayerSelection.insideBlocks(java.util.List.of("blocks.")));
            long expect = fp;
            for (Linear l : layers.values()) {
                expect += Rtn.pack(l, new QuantSpec(3, 3)).deployedBytes() - 4L * l.outFeatures() * l.inFeatures();
            }
            assertEquals(expect, packed);
        }
    }

    @Test
    void shortQatRunLogsStepTimeAndMemory() throws Exception {
        // a narrow Wan (the CLI's full-width run is the same code at another size)
        TransformerSpec small = new TransformerSpec.Wan(new dev.qvgen.models.wan.WanConfig(new int[] {1, 2, 2}, 2, 16,
                16, 16, 24, 32, 48, 2, true, "rms_norm_across_heads", 1e-6, 1024));
        TransformerWorkload w = new TransformerWorkload(small, 1, 5, 32, 32);
        Path out = tmp.resolve("qat");
        try (NDManager m = NDManager.newBaseManager()) {
            Module teacher = ModelRegistry.buildTransformer(small, m, true, 1);
            Module student = ModelRegistry.buildTransformer(small, m, true, 1);
            // the teacher in bfloat16 and the student's products too: the precision of the GPU runs
            dev.qvgen.layers.nn.Precision.cast(teacher, DataType.BFLOAT16, ai.djl.Device.cpu());
            new TransformerQat(new PrintStream(new ByteArrayOutputStream())).run(teacher, student, w,
                    new QuantSpec(4, 4), new TransformerQat.Settings(3, 2, true, true), ai.djl.Device.cpu(), m, out);
        }
        List<String> rows = Files.readAllLines(out.resolve("qat.csv"));
        assertEquals("step,loss,grad_norm,seconds,seconds_per_sample,memory_bytes", rows.get(0));
        assertEquals(4, rows.size());
        for (String row : rows.subList(1, 4)) {
            String[] f = row.split(",");
            assertTrue(Double.isFinite(Double.parseDouble(f[1])) && Double.parseDouble(f[1]) > 0, row);
            assertTrue(Double.parseDouble(f[3]) > 0 && Long.parseLong(f[5]) > 0, row);
            assertEquals(Double.parseDouble(f[3]) / 2, Double.parseDouble(f[4]), 1e-3, row);
        }
        assertTrue(Files.readString(out.resolve("qat-work/log.csv")).lines().count() == 4);
    }

    @Test
    void badInputIsExitTwo() {
        assertEquals(2, run("profile", "--model", "nope", "--random-weights"));
        assertEquals(2, run("profile", "--model", "cogvideox-2b", "--random-weights", "--device", "tpu:0"));
        assertEquals(2, run("profile", "--model", "cogvideox-2b", "--random-weights", "--precision", "int8"));
        assertEquals(2, run("profile", "--model", "cogvideox-2b"));
        assertEquals(2, run("profile", "--model", "cogvideox-2b", "--random-weights", "--frames", "6"));
        assertEquals(2, run("toy", "qat", "--device", "tpu", "--out", "x"));
        assertEquals(2, run("profile", "--model", "cogvideox-2b", "--random-weights", "--kernel", "int4"));
        assertEquals(2, run("profile", "--model", "cogvideox-2b", "--random-weights", "--bits", "w8a8", "--kernel", "fp8"));
    }
}

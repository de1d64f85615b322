package dev.qvgen.harness.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.qvgen.harness.CliRun;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.quantizer.qat.TeacherCache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * QAT from teacher outputs computed ahead ({@code qvgen qat-teacher}, {@code qvgen qat
 * --teacher-cache}) on the tiny golden pipelines, QVGen W4A4 on the CPU, 3 steps of 2
 * micro-batches with a checkpoint after step 2: the same checkpoint and export as QAT with the
 * live teacher, bit for bit; a resume from the cached run's checkpoint; a cache of another run, a
 * too short one, a missing and a corrupt shard refused with one line and exit 2.
 */
class TeacherCacheQatTest {
    static final Path GOLDEN = Path.of("../shared/fixtures/golden");

    @TempDir
    Path tmp;

    static String[] qat(Path pipeline, Path data, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("qat", "--pipeline-dir", pipeline.toString(), "--data",
                data.toString(), "--method", "qvgen", "--bits", "w4a4", "--steps", "3", "--batch", "1", "--grad-accum",
                "2", "--checkpoint-every", "2", "--out", out.toString()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    private static CliRun teacher(Path pipeline, Path data, Path cache, String steps, String... more) {
        List<String> a = new ArrayList<>(List.of("qat-teacher", "--pipeline-dir", pipeline.toString(), "--data",
                data.toString(), "--steps", steps, "--batch", "1", "--grad-accum", "2", "--out", cache.toString()));
        a.addAll(List.of(more));
        return CliRun.of(a.toArray(String[]::new));
    }

    @Test
    void wanCachedTeacherTrainsBitIdenticallyResumesAndRefusesBadCaches() throws Exception {
        Path pipeline = GOLDEN.resolve("wan2.1/pipeline");
        Path data = prepare(pipeline, "wan");
        Path live = tmp.resolve("live");
        ok(CliRun.of(qat(pipeline, data, live)));

        Path cache = tmp.resolve("cache");
        CliRun made = teacher(pipeline, data, cache, "3");
        ok(made);
        assertTrue(made.out().contains("6 micro-batches in 3 shards of 2; 0 shards present"), made.out());
        TeacherCache.Manifest m;
        try (TeacherCache c = TeacherCache.open(cache, identityOf(cache))) {
            m = c.manifest();
        }
        assertEquals(6, m.microBatches());
        assertEquals("F32", m.dtype());
        assertEquals("fp32", m.identity().get("teacher_precision"));
        long modified = Files.getLastModifiedTime(cache.resolve("teacher-000001.safetensors")).toMillis();
        CliRun again = teacher(pipeline, data, cache, "3");
        ok(again);
        assertTrue(again.out().contains("3 shards present and checked"), again.out());
        assertFalse(again.out().contains("[qat-teacher] 1/6"), "nothing recomputed: " + again.out());
        assertEquals(modified, Files.getLastModifiedTime(cache.resolve("teacher-000001.safetensors")).toMillis());

        // qat-teacher into another run's cache is refused and leaves it as it was; bad --data creates no --out
        String manifest = Files.readString(cache.resolve(TeacherCache.MANIFEST));
        CliRun other = CliRun.of("qat-teacher", "--pipeline-dir", pipeline.toString(), "--data", data.toString(),
                "--steps", "3", "--batch", "2", "--grad-accum", "1", "--out", cache.toString());
        assertEquals(2, other.code(), other.out() + other.err());
        assertEquals(1, other.err().lines().filter(l -> !l.isBlank()).count(), other.err());
        assertTrue(other.err().contains("samples_per_forward 1 (this run: 2)"), other.err());
        assertEquals(manifest, Files.readString(cache.resolve(TeacherCache.MANIFEST)));
        CliRun noData = CliRun.of("qat-teacher", "--pipeline-dir", pipeline.toString(), "--data",
                tmp.resolve("no-data").toString(), "--out", tmp.resolve("never").toString());
        assertEquals(2, noData.code(), noData.out() + noData.err());
        assertFalse(Files.exists(tmp.resolve("never")));

        Path cached = tmp.resolve("cached");
        CliRun run = CliRun.of(qat(pipeline, data, cached, "--teacher-cache", cache.toString()));
        ok(run);
        assertTrue(run.out().contains("(no teacher loaded)"), run.out());
        // step 2's checkpoint (weights, quantizers, Φ, AdamW moments) and the export after step 3
        assertBitIdentical(live.resolve("state.safetensors"), cached.resolve("state.safetensors"));
        assertBitIdentical(live.resolve(QatArm.EXPORT), cached.resolve(QatArm.EXPORT));
        assertEquals(lossColumns(live), lossColumns(cached));

        // resumed from the cached run's step-2 checkpoint: the same export as without interruption
        Path resumed = copyWithoutExport(cached, "resumed");
        CliRun r = CliRun.of(qat(pipeline, data, resumed, "--teacher-cache", cache.toString()));
        ok(r);
        assertTrue(r.out().contains("resumed from step 2"), r.out());
        assertBitIdentical(cached.resolve(QatArm.EXPORT), resumed.resolve(QatArm.EXPORT));
        assertEquals(lossColumns(cached), lossColumns(resumed));

        // another data set (one more file changes its fingerprint), another sampling, another model
        Path otherData = tmp.resolve("data-copy");
        copyTree(data, otherData);
        Files.writeString(otherData.resolve("notes.txt"), "x");
        refused(CliRun.of(qat(pipeline, otherData, tmp.resolve("x1"), "--teacher-cache", cache.toString())),
                tmp.resolve("x1"), cache.resolve(TeacherCache.MANIFEST) + ": a teacher cache of another run (made for pipeline "
                + "on the cpu): data ");
        String[] otherBatch = qat(pipeline, data, tmp.resolve("x2"), "--teacher-cache", cache.toString());
        otherBatch[java.util.Arrays.asList(otherBatch).indexOf("--batch") + 1] = "2";
        otherBatch[java.util.Arrays.asList(otherBatch).indexOf("--grad-accum") + 1] = "1";
        refused(CliRun.of(otherBatch), tmp.resolve("x2"), "samples_per_forward 1 (this run: 2)");
        refused(CliRun.of(qat(GOLDEN.resolve("cogvideox-2b/pipeline"), data, tmp.resolve("x3"), "--teacher-cache",
                cache.toString())), tmp.resolve("x3"), "on the cpu): transformer ");
        // a step beyond the cache
        String[] longer = qat(pipeline, data, tmp.resolve("x4"), "--teacher-cache", cache.toString());
        longer[java.util.Arrays.asList(longer).indexOf("--steps") + 1] = "4";
        refused(CliRun.of(longer), tmp.resolve("x4"), "micro-batches 0..5, this run needs 0..7");

        // a missing shard: refused before anything is loaded
        Path shard1 = cache.resolve("teacher-000001.safetensors");
        Path aside = tmp.resolve("aside.safetensors");
        Files.move(shard1, aside);
        refused(CliRun.of(qat(pipeline, data, tmp.resolve("x5"), "--teacher-cache", cache.toString())),
                tmp.resolve("x5"), shard1 + ": teacher cache shard missing");
        Files.move(aside, shard1);

        // a corrupt shard of step 3: found ahead during step 2, which is finished and checkpointed
        Path shard2 = cache.resolve("teacher-000002.safetensors");
        flipLastByte(shard2);
        Path hit = tmp.resolve("hit");
        CliRun bad = CliRun.of(qat(pipeline, data, hit, "--teacher-cache", cache.toString()));
        assertEquals(2, bad.code(), bad.out() + bad.err());
        assertEquals(1, bad.err().lines().filter(l -> !l.isBlank()).count(), bad.err());
        assertTrue(bad.err().contains(shard2 + ": teacher cache shard is corrupt (SHA-256"), bad.err());
        assertTrue(bad.err().contains("QAT checkpointed after step 2"), bad.err());
        assertFalse(Files.exists(hit.resolve(QatArm.EXPORT)));
        assertEquals(3, Files.readAllLines(hit.resolve("log.csv")).size(), "header and the 2 finished steps");
        // qat-teacher computes the damaged shard again (only it); the run resumes and ends as the others
        CliRun repair = teacher(pipeline, data, cache, "3");
        ok(repair);
        assertTrue(repair.out().contains("2 shards present and checked"), repair.out());
        CliRun fixed = CliRun.of(qat(pipeline, data, hit, "--teacher-cache", cache.toString()));
        ok(fixed);
        assertTrue(fixed.out().contains("resumed from step 2"), fixed.out());
        assertBitIdentical(live.resolve(QatArm.EXPORT), hit.resolve(QatArm.EXPORT));
    }

    /** Mixed precision (bf16 products and teacher, as QAT on a GPU): the outputs are stored as bfloat16. */
    @Test
    void cogVideoXBf16CachedTeacherTrainsBitIdentically() throws Exception {
        Path pipeline = GOLDEN.resolve("cogvideox-2b/pipeline");
        Path data = prepare(pipeline, "cog");
        Path live = tmp.resolve("live");
        ok(CliRun.of(qat(pipeline, data, live, "--precision", "bf16")));
        Path cache = tmp.resolve("cache");
        ok(teacher(pipeline, data, cache, "3", "--precision", "bf16"));
        String manifest = Files.readString(cache.resolve(TeacherCache.MANIFEST));
        assertTrue(manifest.contains("\"dtype\": \"BF16\"") && manifest.contains("\"teacher_precision\": \"bf16\""),
                manifest);
        // a float32 QAT run is not this cache's
        refused(CliRun.of(qat(pipeline, data, tmp.resolve("x"), "--teacher-cache", cache.toString())), tmp.resolve("x"),
                "teacher_precision bf16 (this run: fp32)");
        Path cached = tmp.resolve("cached");
        ok(CliRun.of(qat(pipeline, data, cached, "--precision", "bf16", "--teacher-cache", cache.toString())));
        assertBitIdentical(live.resolve("state.safetensors"), cached.resolve("state.safetensors"));
        assertBitIdentical(live.resolve(QatArm.EXPORT), cached.resolve(QatArm.EXPORT));
    }

    /** The identity recorded in {@code cache} (to open it as a test, not as a run). */
    private static java.util.Map<String, String> identityOf(Path cache) throws IOException {
        var o = com.google.gson.JsonParser.parseString(Files.readString(cache.resolve(TeacherCache.MANIFEST)))
                .getAsJsonObject().getAsJsonObject("identity");
        java.util.Map<String, String> id = new java.util.LinkedHashMap<>();
        o.entrySet().forEach(e -> id.put(e.getKey(), e.getValue().getAsString()));
        return id;
    }

    static void ok(CliRun r) {
        assertEquals(0, r.code(), r.out() + r.err());
    }

    /** Exit 2, one line naming the problem, and nothing written into the run's --out. */
    static void refused(CliRun r, Path out, String expected) throws IOException {
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals(1, r.err().lines().filter(l -> !l.isBlank()).count(), r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertTrue(!Files.exists(out.resolve("log.csv")) && !Files.exists(out.resolve(QatArm.EXPORT)),
                "nothing trained into " + out);
    }

    /** Every tensor of {@code b} equals {@code a}'s bit for bit (float64 comparison of the stored values). */
    static void assertBitIdentical(Path a, Path b) {
        try (NDManager m = NDManager.newBaseManager(); SafeTensorsFile fa = SafeTensorsFile.open(a);
                SafeTensorsFile fb = SafeTensorsFile.open(b)) {
            assertEquals(fa.names(), fb.names(), b + " has the tensors of " + a);
            for (String n : fa.names()) {
                NDArray x = fa.load(n, m).toType(DataType.FLOAT64, false);
                NDArray y = fb.load(n, m).toType(DataType.FLOAT64, false);
                assertEquals(x.getShape(), y.getShape(), n);
                double maxAbs = x.size() == 0 ? 0 : x.sub(y).abs().max().getDouble();
                assertEquals(0.0, maxAbs, n + " of " + b + " differs from " + a);
            }
        }
    }

    /** step, loss and gradient norm of each log row (time and memory differ from run to run). */
    static List<String> lossColumns(Path run) throws IOException {
        return Files.readAllLines(run.resolve("log.csv")).stream().skip(1)
                .map(l -> String.join(",", List.of(l.split(",")).subList(0, 3))).toList();
    }

    private Path copyWithoutExport(Path from, String name) throws IOException {
        Path to = tmp.resolve(name);
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path p : files.toList()) {
                if (!p.getFileName().toString().equals(QatArm.EXPORT)) {
                    Files.copy(p, to.resolve(p.getFileName()));
                }
            }
        }
        return to;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }

    private static void flipLastByte(Path f) throws IOException {
        byte[] b = Files.readAllBytes(f);
        b[b.length - 1] ^= 0x40;
        Files.write(f, b, StandardOpenOption.TRUNCATE_EXISTING);
    }

    Path prepare(Path pipeline, String name) throws IOException {
        return dev.qvgen.harness.ToyClips.prepare(pipeline, tmp.resolve(name + "-clips"), tmp.resolve(name + "-data"));
    }
}

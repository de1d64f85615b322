package dev.qvgen.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.qvgen.harness.run.RunLock;
import dev.qvgen.metrics.eval.VideoNames;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Issue #16, on the command line: every bad input is one line and exit 2 and leaves a finished
 * run byte for byte as it was; reruns with other settings are refused or redone on request; one
 * writer per run directory; evaluate's exit code; long and hostile prompts; QAT resume.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReliabilityCliTest {
    static final Path GOLDEN = Path.of("../shared/fixtures/golden");
    static final String[] TINY_WAN = {"--height", "32", "--width", "48", "--frames", "9", "--steps", "2",
        "--guidance", "5", "--max-sequence-length", "16", "--threads", "1"};

    @TempDir
    static Path tmp;

    /** A finished toy run: full precision, one prompt, one seed, two sampling steps. */
    Path finished;
    Path toyPrompts;

    @BeforeAll
    void finishedRun() throws IOException {
        toyPrompts = tmp.resolve("toy-prompts.txt");
        Files.writeString(toyPrompts, "a red circle moves left slowly\n");
        finished = tmp.resolve("finished");
        CliRun r = reproduce(finished);
        assertEquals(0, r.code(), r.out() + r.err());
    }

    /** The finished run's command into {@code out}; {@code extra} options replace its own or are added. */
    CliRun reproduce(Path out, String... extra) {
        String[] base = {"--methods", "fp", "--seeds", "1", "--steps", "2", "--prompts", toyPrompts.toString(),
            "--batch", "1", "--threads", "1", "--out", out.toString()};
        return CliRun.of(concat(new String[] {"reproduce"}, merged(base, extra)));
    }

    /** Option/value pairs of {@code base} with those of {@code extra} replacing them; flags without a value kept. */
    static String[] merged(String[] base, String... extra) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (String[] a : new String[][] {base, extra}) {
            for (int i = 0; i < a.length; i++) {
                boolean flag = i + 1 >= a.length || a[i + 1].startsWith("--");
                m.put(a[i], flag ? null : a[++i]);
            }
        }
        return m.entrySet().stream().flatMap(e -> e.getValue() == null ? Stream.of(e.getKey())
                : Stream.of(e.getKey(), e.getValue())).toArray(String[]::new);
    }

    static String[] concat(String[] a, String... b) {
        return Stream.concat(Arrays.stream(a), Arrays.stream(b)).toArray(String[]::new);
    }

    /** Every file below {@code dir} with its bytes (as text for a readable failure). */
    static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                m.put(dir.relativize(p).toString(), java.util.HexFormat.of().formatHex(
                        java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return m;
    }

    Path copyOfFinished(String name) throws IOException {
        Path to = tmp.resolve(name);
        try (Stream<Path> s = Files.walk(finished)) {
            for (Path p : s.toList()) {
                Path q = to.resolve(finished.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(q);
                } else {
                    Files.copy(p, q);
                }
            }
        }
        return to;
    }

    static void assertOneLine(CliRun r, int code, String... fragments) {
        assertEquals(code, r.code(), r.out() + r.err());
        String line = r.err().strip();
        assertEquals(1, line.lines().count(), "expected one line, got: " + r.err());
        assertFalse(line.contains("\tat "), line);
        for (String f : fragments) {
            assertTrue(line.contains(f), "'" + f + "' not in: " + line);
        }
    }

    @Test
    void aRejectedCommandLeavesAFinishedRunByteForByte() throws IOException {
        Path run = copyOfFinished("rejected");
        Map<String, String> before = snapshot(run);
        assertOneLine(CliRun.of("reproduce", "--methods", "lsqq", "--out", run.toString()), 2, "lsqq");
        assertOneLine(reproduce(run, "--threads", "-2"), 2, "--threads", "-2");
        assertOneLine(reproduce(run, "--bits", "w9a9", "--methods", "rtn"), 2, "w9a9");
        assertEquals(before, snapshot(run), "plan.yaml and every result untouched");
    }

    @Test
    void otherSettingsAreRefusedOrRedoneOnRequest() throws IOException {
        Path run = copyOfFinished("changed");
        Map<String, String> before = snapshot(run);
        assertOneLine(reproduce(run, "--steps", "3"), 2, run.toString(), "sampling", "--restart-changed");
        assertOneLine(reproduce(run, "--seeds", "2"), 2, "seeds: 1 -> 2");
        assertEquals(before, snapshot(run), "a refused rerun changes nothing");

        CliRun redo = reproduce(run, "--steps", "3", "--restart-changed");
        assertEquals(0, redo.code(), redo.out() + redo.err());
        assertTrue(redo.out().contains("fp depends on what changed: starting it afresh"), redo.out());
        Map<String, String> after = snapshot(run);
        String video = "videos/fp/" + VideoNames.fileName("a red circle moves left slowly", 0);
        assertNotEquals(before.get(video), after.get(video), "the video was made again with 3 steps");
        CliRun again = reproduce(run, "--steps", "3");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("all 1 videos present"), again.out());
    }

    @Test
    void oneWriterPerRunDirectoryAndAStaleLockIsTakenOver() throws Exception {
        Path run = copyOfFinished("locked");
        Map<String, String> before = snapshot(run);
        Process other = new ProcessBuilder("sleep", "60").start();
        try {
            String host = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            Path lock = run.resolve(RunLock.FILE);
            Files.writeString(lock, "pid=" + other.pid() + "\nhost=" + host + "\ncommand=reproduce\nstarted=then\n");
            Map<String, String> held = snapshot(run);
            assertOneLine(reproduce(run), 2, "in use by another qvgen run (pid " + other.pid());
            assertEquals(held, snapshot(run), "the second run wrote nothing, and left the other's lock");
        } finally {
            other.destroy();
            other.waitFor();
        }
        // the holder is gone (a crash, a kill -9): the next run takes the lock over with a notice
        CliRun r = reproduce(run);
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("taking over the lock of pid"), r.err());
        assertFalse(Files.exists(run.resolve(RunLock.FILE)), "released at the end");
        Map<String, String> after = snapshot(run);
        before.forEach((k, v) -> {
            if (k.startsWith("videos/")) {
                assertEquals(v, after.get(k), k + " kept");
            }
        });
    }

    @Test
    void fileSystemErrorsAreOneLineWithTheReasonBeforeAnyWork() throws IOException {
        Path file = tmp.resolve("a-file");
        Files.writeString(file, "x");
        assertOneLine(reproduce(file), 2, "--out " + file, "a file, not a directory");
        assertOneLine(reproduce(Path.of("/dev/full")), 2, "/dev/full", "not a directory");
        assertOneLine(reproduce(Path.of("/proc/x")), 2, "/proc/x", "No such file or directory");
        Path prompts = tmp.resolve("p.txt");
        Files.writeString(prompts, "a dog\n");
        Path out = tmp.resolve("gen-fps0");
        String pipe = GOLDEN.resolve("wan2.1/pipeline").toString();
        assertOneLine(CliRun.of(concat(new String[] {"generate", "--pipeline-dir", pipe, "--prompts",
            prompts.toString(), "--out", out.toString(), "--fps", "0"}, TINY_WAN)), 2, "--fps", "0");
        assertOneLine(CliRun.of(concat(new String[] {"generate", "--pipeline-dir", pipe, "--prompts",
            prompts.toString(), "--out", "/proc/x/videos"}, TINY_WAN)), 2, "/proc/x/videos", "No such file");
        assertOneLine(CliRun.of("generate", "--pipeline-dir", pipe, "--prompts", prompts.toString(), "--out",
                out.toString(), "--threads", "-2"), 2, "--threads", "-2");
        assertFalse(Files.exists(out), "nothing written before the arguments were checked");
        if (!"root".equals(System.getProperty("user.name"))) {
            Path ro = tmp.resolve("read-only");
            Files.createDirectories(ro);
            ro.toFile().setWritable(false);
            assertOneLine(reproduce(ro.resolve("run")), 2, "Permission denied");
            ro.toFile().setWritable(true);
        }
    }

    @Test
    void aFullDiskDuringQatNamesTheFileAndLeavesNoTempFile() throws IOException {
        assumeTrue(Files.exists(Path.of("/dev/full")), "skipped: no /dev/full");
        Path work = tmp.resolve("qat-full");
        Files.createDirectories(work);
        // the log's temp file leads to /dev/full: its write fails with ENOSPC, as on a full disk
        Files.createSymbolicLink(work.resolve("log.csv.tmp"), Path.of("/dev/full"));
        CliRun r = CliRun.of("toy", "qat", "--method", "lsq", "--bits", "w4a4", "--steps", "2", "--batch", "1",
                "--threads", "1", "--out", work.toString());
        assertOneLine(r, 2, work.resolve("log.csv").toString(), "No space left on device");
        assertFalse(Files.exists(work.resolve("log.csv.tmp"), LinkOption.NOFOLLOW_LINKS), "no temp file left");
        assertFalse(Files.exists(work.resolve(RunLock.FILE)), "lock released");
    }

    @Test
    void aFloatTensorStoredAsInt32IsRefusedAtLoad() throws IOException {
        Path pipe = tmp.resolve("i32-pipeline");
        Path src = GOLDEN.resolve("wan2.1/pipeline");
        try (Stream<Path> s = Files.walk(src)) {
            for (Path p : s.toList()) {
                Path q = pipe.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(q);
                } else {
                    Files.copy(p, q);
                }
            }
        }
        Path weights = pipe.resolve("transformer/diffusion_pytorch_model.safetensors");
        byte[] all = Files.readAllBytes(weights);
        String header = new String(all, 8, 600, StandardCharsets.ISO_8859_1);
        int at = header.indexOf("\"dtype\":\"F32\"", header.indexOf("blocks.0.attn1.norm_k.weight"));
        all[8 + at + 9] = 'I'; // same byte size: only the dtype check can tell
        Files.write(weights, all);
        Path prompts = tmp.resolve("p1.txt");
        Files.writeString(prompts, "a dog\n");
        Path out = tmp.resolve("i32-out");
        assertOneLine(CliRun.of(concat(new String[] {"generate", "--pipeline-dir", pipe.toString(), "--prompts",
            prompts.toString(), "--out", out.toString()}, TINY_WAN)), 2, weights.toString(),
                "blocks.0.attn1.norm_k.weight is stored as I32");
    }

    @Test
    void aShrunkCheckpointUnderARegistryNameNeedsItsOwnSize() throws IOException {
        Path prompts = tmp.resolve("p2.txt");
        Files.writeString(prompts, "a dog\n");
        Path out = tmp.resolve("shrunk-out");
        assertOneLine(CliRun.of("generate", "--model", "wan2.1-t2v-1.3b", "--model-dir",
                GOLDEN.resolve("wan2.1/pipeline").toString(), "--prompts", prompts.toString(), "--out", out.toString()),
                2, "not wan2.1-t2v-1.3b's published size", "num_layers 2 (published 30)", "--height");
        assertFalse(Files.exists(out));
    }

    @Test
    void evaluateFailsWhenAVideoCannotBeScoredAndOnAnEmptyFolder() throws IOException {
        Path videos = tmp.resolve("bad-videos");
        Files.createDirectories(videos);
        Files.writeString(videos.resolve("a dog-0.mp4"), "not a video");
        Path out = tmp.resolve("eval-bad");
        CliRun r = CliRun.of("evaluate", "--videos", videos.toString(), "--dimensions", "temporal_flickering",
                "--out", out.toString(), "--threads", "1");
        assertOneLine(r, 1, "1 of 1 videos could not be scored", "--allow-failures");
        String csv = Files.readString(out.resolve("qvgen_per_video.csv"));
        assertTrue(csv.contains("not a readable video (FFmpeg: Invalid data found when processing input)"), csv);
        assertFalse(csv.contains("setFormat"), "no JavaCV hint text: " + csv);
        CliRun allowed = CliRun.of("evaluate", "--videos", videos.toString(), "--dimensions", "temporal_flickering",
                "--out", out.toString(), "--threads", "1", "--allow-failures");
        assertEquals(0, allowed.code(), allowed.err());

        Path empty = tmp.resolve("no-videos");
        Files.createDirectories(empty);
        Path emptyOut = tmp.resolve("eval-empty");
        assertOneLine(CliRun.of("evaluate", "--videos", empty.toString(), "--dimensions", "temporal_flickering",
                "--out", emptyOut.toString()), 2, empty.toString(), "no videos");
        assertFalse(Files.exists(emptyOut), "nothing written");
    }

    @Test
    void aPickleNamingOsSystemIsRefusedByEvaluate() throws IOException {
        Path evil = tmp.resolve("dino.pth");
        // torch.save's zip layout; data.pkl is pickle.dumps of os.system("echo pwned")'s reduction (protocol 2)
        java.io.ByteArrayOutputStream pkl = new java.io.ByteArrayOutputStream();
        pkl.writeBytes(new byte[] {(byte) 0x80, 2});
        pkl.writeBytes("cos\nsystem\n".getBytes(StandardCharsets.US_ASCII));
        pkl.writeBytes(new byte[] {'X', 10, 0, 0, 0});
        pkl.writeBytes("echo pwned".getBytes(StandardCharsets.US_ASCII));
        pkl.writeBytes(new byte[] {(byte) 0x85, 'R', '.'});
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(evil))) {
            zip.putNextEntry(new java.util.zip.ZipEntry("archive/data.pkl"));
            zip.write(pkl.toByteArray());
            zip.closeEntry();
        }
        Path videos = tmp.resolve("some-videos");
        Files.createDirectories(videos);
        assertOneLine(CliRun.of("evaluate", "--videos", videos.toString(), "--dimensions", "subject_consistency",
                "--dino", evil.toString(), "--out", tmp.resolve("eval-evil").toString()), 2, evil.toString(),
                "refused global os.system");
    }

    @Test
    void longAndHostilePromptsGiveSafeNamesThatEvaluateMapsBack() throws IOException {
        String longPrompt = "a slow cinematic pan across a misty harbour at dawn/dusk, ../boats rocking gently, "
                .repeat(4).strip();
        String cjk = "一只猫在海滩上慢慢地走着，".repeat(20);
        Path prompts = tmp.resolve("long.txt");
        Files.writeString(prompts, longPrompt + "\n" + cjk + "\n");
        Path out = tmp.resolve("long-out");
        String pipe = GOLDEN.resolve("wan2.1/pipeline").toString();
        CliRun r = CliRun.of(concat(new String[] {"generate", "--pipeline-dir", pipe, "--prompts", prompts.toString(),
            "--out", out.toString()}, TINY_WAN));
        assertEquals(0, r.code(), r.out() + r.err());
        for (String p : new String[] {longPrompt, cjk}) {
            String name = VideoNames.fileName(p, 0);
            assertTrue(name.getBytes(StandardCharsets.UTF_8).length <= 255, name);
            assertTrue(Files.isRegularFile(out.resolve(name)), name);
        }
        try (Stream<Path> s = Files.list(out)) {
            assertEquals(java.util.Set.of(VideoNames.fileName(longPrompt, 0), VideoNames.fileName(cjk, 0),
                    "run-settings.json"), new java.util.TreeSet<>(s.map(p -> p.getFileName().toString()).toList()),
                    "every file inside --out, no temp file left");
        }
        Map<String, String> videos = snapshot(out);
        assertOneLine(CliRun.of(concat(new String[] {"generate", "--pipeline-dir", pipe, "--prompts",
            prompts.toString(), "--out", out.toString(), "--seeds", "7"}, TINY_WAN)), 2, "2 videos with another seed");
        assertOneLine(CliRun.of(concat(new String[] {"generate", "--pipeline-dir", pipe, "--prompts",
            prompts.toString(), "--out", out.toString()}, merged(TINY_WAN, "--guidance", "3"))), 2, "guidance: 5.0 -> 3.0");
        assertEquals(videos, snapshot(out), "refused reruns leave the videos");

        Path eval = tmp.resolve("long-eval");
        CliRun e = CliRun.of("evaluate", "--videos", out.toString(), "--prompts", prompts.toString(), "--dimensions",
                "temporal_flickering", "--out", eval.toString(), "--threads", "1");
        assertEquals(0, e.code(), e.out() + e.err());
        String csv = Files.readString(eval.resolve("qvgen_per_video.csv"));
        assertTrue(csv.contains(longPrompt) && csv.contains(cjk.strip()), "full prompts mapped back: " + csv);
    }

    @Test
    void aResumedQatCountsOnFromItsCheckpointAndDropsATornLogRow() throws IOException {
        Path work = tmp.resolve("qat-resume");
        String[] qat = {"toy", "qat", "--method", "lsq", "--bits", "w4a4", "--steps", "4", "--batch", "1", "--threads",
            "1", "--out", work.toString()};
        CliRun first = CliRun.of(qat);
        assertEquals(0, first.code(), first.out() + first.err());
        String log = Files.readString(work.resolve("log.csv"));
        // as if the process died after step 3's checkpoint, half-way through appending a row
        Files.delete(work.resolve("quantized.safetensors"));
        Files.writeString(work.resolve("log.csv"), log + "4,0.0");
        CliRun resumed = CliRun.of(qat);
        assertEquals(0, resumed.code(), resumed.out() + resumed.err());
        String o = resumed.out();
        int notice = o.indexOf("[qat lsq-w4a4] resumed from step 3");
        int step = o.indexOf("[qat lsq-w4a4] 4/4");
        assertTrue(notice >= 0 && step > notice, "notice before the loop, counter from 3: " + o);
        assertEquals(log.lines().map(l -> l.split(",")[1]).toList(),
                Files.readString(work.resolve("log.csv")).lines().map(l -> l.split(",")[1]).toList(),
                "the resumed log has the uninterrupted run's losses, the torn row gone");
    }
}

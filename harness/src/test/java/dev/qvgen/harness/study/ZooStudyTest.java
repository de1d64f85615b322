package dev.qvgen.harness.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.harness.CliRun;
import dev.qvgen.video.Mp4Writer;
import dev.qvgen.reports.ResultRow;
import dev.qvgen.reports.ResultsCsv;
import dev.qvgen.suites.toy.ToyScene;
import dev.qvgen.suites.toy.ToyWorld;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The study on zoo pipelines, end to end on the CPU: {@code data prepare} on toy-world MP4s (with a
 * corrupt and a too-short file), then {@code reproduce} of the paper plans narrowed to a smoke run
 * (fp, rtn, lsq, qvgen at W4A4, a few QAT steps, two prompts, two sampling steps) on the tiny
 * golden Wan2.1 and CogVideoX-2B pipelines: the paper-layout report is written, and a run resumed
 * after losing a video, an export and the results gives the same rows byte for byte.
 */
class ZooStudyTest {
    static final Path GOLDEN = Path.of("../shared/fixtures/golden");
    static final String[] CAPTIONS = dev.qvgen.harness.ToyClips.CAPTIONS;

    @TempDir
    Path tmp;

    private Path videos() throws IOException {
        Path dir = dev.qvgen.harness.ToyClips.write(tmp.resolve("clips"));
        Files.write(dir.resolve("broken.mp4"), "not a video".repeat(50).getBytes());
        Files.writeString(dir.resolve("broken.txt"), "a broken file");
        Mp4Writer.write(dir.resolve("short.mp4"), new ToyWorld(2, 48, 64, 8).render(
                new ToyWorld(2, 48, 64, 8).placeScene(ToyScene.parse(CAPTIONS[0]), new Random(9))), 8);
        Files.writeString(dir.resolve("short.txt"), CAPTIONS[0]);
        return dir;
    }

    private static String[] reproduce(String plan, Path pipeline, Path data, Path out) {
        return new String[] {"reproduce", "--plan", plan, "--pipeline-dir", pipeline.toString(), "--data",
            data.toString(), "--out", out.toString(), "--methods", "fp,rtn,lsq,qvgen", "--bits", "w4a4",
            "--prompts-limit", "2", "--steps", "2", "--frames", "5", "--height", "32", "--width", "48",
            "--qat-steps", "3", "--qat-batch", "16", "--threads", "2"};
    }

    @Test
    void paperPlansRunOnTinyPipelinesAndResumeToTheSameRows() throws IOException {
        Path clips = videos();
        for (String[] target : new String[][] {{"wan2.1", "paper-wan2.1-t2v-1.3b"},
            {"cogvideox-2b", "paper-cogvideox-2b"}}) {
            Path pipeline = GOLDEN.resolve(target[0]).resolve("pipeline");
            Path data = tmp.resolve("data-" + target[0]);
            CliRun prep = CliRun.of("data", "prepare", "--pipeline-dir", pipeline.toString(), "--videos",
                    clips.toString(), "--out", data.toString(), "--frames", "5", "--height", "32", "--width", "48",
                    "--max-sequence-length", "16");
            assertEquals(0, prep.code(), prep.out() + prep.err());
            assertEquals(2, prep.out().lines().filter(l -> l.startsWith("data prepare: skipped")).count(), prep.out());

            Path run = tmp.resolve("run-" + target[0]);
            CliRun r = CliRun.of(reproduce(target[1], pipeline, data, run));
            assertEquals(0, r.code(), r.out() + r.err());
            Path slice = onlySlice(run);
            List<ResultRow> rows = ResultsCsv.read(slice.resolve("results.csv"));
            // 4 arms x 2 prompts x the plan's 5 seeds, each scored on the paper dimensions available
            assertEquals(40, rows.size(), target[0]);
            rows.forEach(row -> assertTrue(row.error() == null && row.scores().containsKey("dynamic_degree"),
                    row.toString()));
            assertTrue(r.out().contains("unavailable: subject_consistency"), "no weights, named: " + r.out());
            // output_fidelity needs a reference clip per prompt, which only the toy world has: left out, said so
            rows.forEach(row -> assertFalse(row.scores().containsKey(OutputFidelity.NAME), row.toString()));
            assertTrue(r.out().contains("[" + OutputFidelity.NAME + "] not recorded for "), r.out());
            String paper = Files.readString(slice.resolve("paper.md"));
            assertTrue(paper.contains("QVGen") && paper.contains("LSQ") && paper.contains("W4A4"), paper);
            assertTrue(Files.exists(slice.resolve("qat/qvgen-w4a4/" + QatArm.EXPORT)));
            assertEquals(4, Files.readAllLines(slice.resolve("qat/qvgen-w4a4/log.csv")).size(), "3 steps logged");
            // the QAT arms and RTN changed the videos
            byte[] fp = Files.readAllBytes(slice.resolve(rows.get(0).video()));
            assertFalse(java.util.Arrays.equals(fp, Files.readAllBytes(slice.resolve(rows.get(30).video()))));

            // lose what a kill at each stage would lose, then resume: the same rows, byte for byte
            byte[] csv = Files.readAllBytes(slice.resolve("results.csv"));
            Files.delete(slice.resolve(rows.get(31).video()));
            Files.delete(slice.resolve("qat/lsq-w4a4/" + QatArm.EXPORT));
            Files.delete(slice.resolve("results.csv"));
            CliRun again = CliRun.of(reproduce(target[1], pipeline, data, run));
            assertEquals(0, again.code(), again.out() + again.err());
            assertArrayEquals(csv, Files.readAllBytes(slice.resolve("results.csv")), target[0]);
        }
    }

    @Test
    void qatCalibrateAndQuantizedGenerationFromTheCommandLine() throws IOException {
        Path pipeline = GOLDEN.resolve("wan2.1/pipeline");
        Path data = tmp.resolve("data");
        CliRun prep = CliRun.of("data", "prepare", "--pipeline-dir", pipeline.toString(), "--videos",
                videos().toString(), "--out", data.toString(), "--frames", "5", "--height", "32", "--width", "48",
                "--max-sequence-length", "16");
        assertEquals(0, prep.code(), prep.out() + prep.err());

        Path qat = tmp.resolve("qat");
        CliRun q = CliRun.of("qat", "--pipeline-dir", pipeline.toString(), "--data", data.toString(), "--method",
                "qvgen", "--bits", "w4a4", "--steps", "2", "--batch", "2", "--grad-accum", "2", "--out", qat.toString());
        assertEquals(0, q.code(), q.out() + q.err());
        assertTrue(q.out().contains("2 steps x 4 samples (2 per forward), 3 clips"), q.out());
        assertEquals(3, Files.readAllLines(qat.resolve("log.csv")).size(), "header and 2 steps");
        assertTrue(Files.exists(qat.resolve(QatArm.EXPORT)));
        assertTrue(q.out().contains("float32, activation checkpointing per block"), q.out());

        // the GPU default, run on the CPU: bf16 products and teacher, float32 master weights
        Path mixed = tmp.resolve("qat-bf16");
        CliRun m = CliRun.of("qat", "--pipeline-dir", pipeline.toString(), "--data", data.toString(), "--method",
                "qvgen", "--bits", "w4a4", "--steps", "2", "--batch", "2", "--precision", "bf16", "--out",
                mixed.toString());
        assertEquals(0, m.code(), m.out() + m.err());
        assertTrue(m.out().contains("mixed precision (bf16 products and teacher, float32 master weights), "
                + "activation checkpointing per block"), m.out());
        java.util.List<String> rows = Files.readAllLines(mixed.resolve("log.csv"));
        assertEquals(3, rows.size(), "header and 2 steps");
        for (String row : rows.subList(1, 3)) {
            double loss = Double.parseDouble(row.split(",")[1]);
            assertTrue(Double.isFinite(loss) && loss > 0, row);
        }
        assertTrue(Files.exists(mixed.resolve(QatArm.EXPORT)));
        assertEquals(2, CliRun.of("qat", "--pipeline-dir", pipeline.toString(), "--data", data.toString(), "--method",
                "qvgen", "--bits", "w4a4", "--precision", "fp16", "--out", tmp.resolve("y").toString()).code());

        CliRun rtn = CliRun.of("calibrate", "--pipeline-dir", pipeline.toString(), "--method", "rtn", "--bits", "w4a4",
                "--out", tmp.resolve("rtn").toString());
        assertEquals(0, rtn.code(), rtn.out() + rtn.err());
        CliRun vq = CliRun.of("calibrate", "--pipeline-dir", pipeline.toString(), "--method", "vidit-q", "--bits",
                "w4a4", "--batches", "2", "--batch", "2", "--out", tmp.resolve("vidit-q").toString());
        assertEquals(2, vq.code(), "vidit-q calibrates on clips: " + vq.out() + vq.err());
        assertTrue(vq.err().contains("needs --data"), vq.err());
        CliRun wrong = CliRun.of("qat", "--pipeline-dir", pipeline.toString(), "--data", data.toString(), "--method",
                "rtn", "--bits", "w4a4", "--out", tmp.resolve("x").toString());
        assertEquals(2, wrong.code());
        assertTrue(wrong.err().contains("--method must be one of lsq, qdm, efficientdm, qvgen"), wrong.err());

        Files.writeString(tmp.resolve("p.txt"), "a red circle moves left slowly\n");
        List<byte[]> videos = new ArrayList<>();
        for (String[] how : new String[][] {{"--quantized", qat.resolve(QatArm.EXPORT).toString()},
            {"--quantized", tmp.resolve("rtn").resolve(QatArm.EXPORT).toString()}, {"--method", "rtn", "--bits", "w4a4"},
            {}}) {
            Path out = tmp.resolve("gen" + videos.size());
            List<String> args = new ArrayList<>(List.of("generate", "--pipeline-dir", pipeline.toString(), "--prompts",
                    tmp.resolve("p.txt").toString(), "--out", out.toString(), "--height", "32", "--width", "48",
                    "--frames", "5", "--steps", "2", "--guidance", "5", "--max-sequence-length", "16"));
            args.addAll(List.of(how));
            CliRun g = CliRun.of(args.toArray(String[]::new));
            assertEquals(0, g.code(), g.out() + g.err());
            videos.add(Files.readAllBytes(out.resolve("a red circle moves left slowly-0.mp4")));
        }
        // the RTN export and RTN on the fly give the same video; QVGen's and full precision's differ from it
        assertArrayEquals(videos.get(1), videos.get(2));
        assertFalse(java.util.Arrays.equals(videos.get(0), videos.get(1)));
        assertFalse(java.util.Arrays.equals(videos.get(3), videos.get(1)));
    }

    @Test
    void zooArmsThatTrainNeedData() throws IOException {
        Path pipeline = GOLDEN.resolve("wan2.1/pipeline");
        CliRun r = CliRun.of("reproduce", "--plan", "paper-wan2.1-t2v-1.3b", "--pipeline-dir", pipeline.toString(),
                "--out", tmp.resolve("run").toString(), "--methods", "fp,qvgen", "--bits", "w4a4", "--prompts-limit",
                "1", "--steps", "1", "--frames", "5", "--height", "32", "--width", "48");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("need --data") || r.out().contains("need --data"), r.out() + r.err());
        CliRun noDir = CliRun.of("reproduce", "--plan", "paper-wan2.1-t2v-1.3b", "--out", tmp.resolve("x").toString());
        assertEquals(2, noDir.code());
        assertTrue((noDir.out() + noDir.err()).contains("needs --model-dir"), noDir.out() + noDir.err());
    }

    private static Path onlySlice(Path run) throws IOException {
        List<Path> found = new ArrayList<>();
        try (Stream<Path> s = Files.walk(run, 3)) {
            s.filter(p -> Files.exists(p.resolve("results.csv"))).forEach(found::add);
        }
        assertEquals(1, found.size(), found.toString());
        return found.get(0);
    }
}

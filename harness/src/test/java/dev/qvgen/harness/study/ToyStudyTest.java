package dev.qvgen.harness.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.harness.toy.ToyStudyModel;
import dev.qvgen.metrics.VideoScorer;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.reports.ResultRow;
import dev.qvgen.reports.ResultsCsv;
import dev.qvgen.suites.toy.ToyPrompt;
import dev.qvgen.suites.toy.ToyPromptSuite;
import dev.qvgen.suites.toy.ToyWorld;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

/** The study on the toy model, a small slice: files, determinism, resume, reports. */
class ToyStudyTest {
    static final Path MODEL = Path.of("checkpoints/toy-wan");
    /** A few QAT steps: enough to exercise training, export and reload, not to learn much. */
    static final QatRecipe QAT = new QatRecipe(6, 2, 1, 10f, 1, 0.1f, 0, 32, 50, 0, 0.9, 3, null);

    @TempDir
    Path tmp;

    private static List<ResultRow> run(Path dir, List<ToyPrompt> prompts) throws IOException {
        Study.Settings s = new Study.Settings(new StudyModel.Sampling(4, 4f, 3.0, 0, 0, 0), QAT,
                PtqArm.Settings.defaults(), ai.djl.Device.cpu(), ToyStudyModel.METRICS);
        List<StudyArm> arms = List.of(new StudyArm(StudyArm.FP, null), new StudyArm("rtn", QuantSpec.W3A3),
                new StudyArm("qvgen", QuantSpec.W3A3));
        List<ResultRow> rows = new Study(new ToyStudyModel(ToyWorld.defaults(), MODEL, 4), s, VideoScorer.standard(),
                new PrintStream(PrintStream.nullOutputStream())).run(dir, arms,
                        prompts.stream().map(ToyPrompt::caption).toList(), 1);
        StudyReport.write(dir, rows, ToyStudyModel.METRICS, "toy-wan", MODEL);
        return rows;
    }

    @Test
    void generatesScoresDeterministicallyAndResumes() throws IOException {
        List<ToyPrompt> prompts = ToyPromptSuite.standard().subList(0, 3);
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        List<ResultRow> rowsA = run(a, prompts);
        List<ResultRow> rowsB = run(b, prompts);
        assertEquals(9, rowsA.size());
        for (ResultRow r : rowsA) {
            assertNull(r.error(), r.video());
            // the video metrics and the toy's output_fidelity
            assertEquals(ToyStudyModel.METRICS.size() + 1, r.scores().size());
            assertTrue(r.scores().containsKey(OutputFidelity.NAME), r.scores().toString());
            Path va = a.resolve(r.video());
            assertTrue(va.getFileName().toString().endsWith("-0.mp4"), "VBench naming: " + va);
            assertArrayEquals(Files.readAllBytes(va), Files.readAllBytes(b.resolve(r.video())), "same seed, same bytes");
        }
        assertEquals(rowsA, rowsB, "same seed, same scores");
        // W3A3 changes the videos
        assertTrue(!java.util.Arrays.equals(Files.readAllBytes(a.resolve(rowsA.get(0).video())),
                Files.readAllBytes(a.resolve(rowsA.get(3).video()))));

        // Resume: finished videos are not generated again (their files stay untouched).
        Path v = a.resolve(rowsA.get(0).video());
        FileTime old = FileTime.fromMillis(1_000_000L);
        Files.setLastModifiedTime(v, old);
        Files.delete(a.resolve(rowsA.get(1).video()));
        List<ResultRow> again = run(a, prompts);
        assertEquals(old, Files.getLastModifiedTime(v));
        assertTrue(Files.exists(a.resolve(rowsA.get(1).video())), "the missing video is made again");
        assertEquals(rowsA, again);

        // The QAT arm trained once, logged every step with the ranks, and exported packed weights.
        Path qat = Study.qatDir(a, new StudyArm("qvgen", QuantSpec.W3A3));
        List<String> log = Files.readAllLines(qat.resolve("log.csv"));
        assertEquals(7, log.size());
        assertTrue(log.get(0).startsWith("step,loss,grad_norm,lr_factor,seconds,rank:blocks.0."), log.get(0));
        assertTrue(Files.exists(qat.resolve(QatArm.EXPORT)));
        FileTime exported = Files.getLastModifiedTime(qat.resolve(QatArm.EXPORT));
        Files.delete(a.resolve(rowsA.get(6).video()));
        assertEquals(rowsA, run(a, prompts), "regenerated from the export, identically");
        assertEquals(exported, Files.getLastModifiedTime(qat.resolve(QatArm.EXPORT)), "not trained again");

        // every arm records the device its videos came from (resumes on the same device add nothing)
        assertEquals(List.of("cpu()"), Files.readAllLines(a.resolve("videos/fp/devices.txt")));
        assertTrue(Files.readString(a.resolve("report.md")).contains("Videos generated on: cpu()."));
        // an arm resumed on another device says so in the report
        Files.write(a.resolve("videos/fp/devices.txt"), List.of("cpu()", "gpu(0)"));
        assertTrue(StudyReport.deviceNotes(a).contains("Arm fp mixes videos from cpu() and gpu(0): they are not "
                + "bit-identical to a single-device run."), StudyReport.deviceNotes(a).toString());

        assertEquals(rowsA, ResultsCsv.read(a.resolve("results.csv")));
        for (String f : List.of("results.json", "report.md", "report.html", "plots/scores.svg")) {
            assertTrue(Files.size(a.resolve(f)) > 0, f);
        }
    }
}

package dev.qvgen.harness.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.harness.CliRun;
import dev.qvgen.harness.toy.ToyOutputFidelity;
import dev.qvgen.harness.toy.ToyStudyModel;
import dev.qvgen.metrics.VideoScorer;
import dev.qvgen.models.toy.ToyVideoModel;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.Rtn;
import dev.qvgen.reports.ResultRow;
import dev.qvgen.reports.ResultsCsv;
import dev.qvgen.suites.toy.ToyPrompt;
import dev.qvgen.suites.toy.ToyPromptSuite;
import dev.qvgen.suites.toy.ToyWorld;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The study records {@code output_fidelity} per video (toy): full precision 1, RTN W3A3 below it
 * and the same number {@link ToyOutputFidelity} gives; a rerun measures only what is missing (an
 * arm of a run made before the dimension included); the gate flags a drop on it; result sets
 * written without the column still read and gate. Full precision and RTN only (no QAT), three
 * prompts, two sampling steps: seconds.
 */
class StudyOutputFidelityTest {
    static final Path MODEL = Path.of("checkpoints/toy-wan");
    static final ToyWorld WORLD = ToyWorld.defaults();
    static final List<ToyPrompt> PROMPTS = ToyPromptSuite.standard().subList(0, 3);
    static final StudyArm FP = new StudyArm(StudyArm.FP, null);
    static final StudyArm RTN = new StudyArm("rtn", QuantSpec.W3A3);

    @TempDir
    static Path tmp;
    static Path run;
    static List<ResultRow> rows;

    @BeforeAll
    static void study() throws IOException {
        run = tmp.resolve("run");
        rows = study(run, new ByteArrayOutputStream());
    }

    /** The study of fp and rtn w3a3 over {@link #PROMPTS} into {@code dir}, its log into {@code log}. */
    static List<ResultRow> study(Path dir, ByteArrayOutputStream log) throws IOException {
        Study.Settings s = new Study.Settings(new StudyModel.Sampling(2, 4f, 3.0, 0, 0, 0), QatRecipe.toy(),
                PtqArm.Settings.defaults(), ai.djl.Device.cpu(), ToyStudyModel.METRICS);
        Study study = new Study(new ToyStudyModel(WORLD, MODEL, 4), s, VideoScorer.standard(),
                new PrintStream(log, true, StandardCharsets.UTF_8));
        List<ResultRow> r = study.run(dir, List.of(FP, RTN), PROMPTS.stream().map(ToyPrompt::caption).toList(), 1);
        StudyReport.write(dir, r, study.dimensions(), "toy-wan", null);
        return r;
    }

    @Test
    void resultsCsvCarriesOutputFidelityThatSeparatesFullPrecisionFromRtn() throws IOException {
        String header = Files.readAllLines(run.resolve("results.csv")).get(0);
        assertTrue(List.of(header.split(",")).contains(OutputFidelity.NAME), header);
        List<ResultRow> read = ResultsCsv.read(run.resolve("results.csv"));
        assertEquals(rows, read);
        assertEquals(6, read.size());
        for (ResultRow r : read) {
            double v = r.scores().get(OutputFidelity.NAME);
            if (r.method().equals(StudyArm.FP)) {
                assertEquals(1.0, v, r.video());
            } else {
                assertTrue(v > 0.5 && v < 0.99, "RTN W3A3 moves the output away from full precision: " + v);
            }
        }
        // the number is ToyOutputFidelity's, for the prompt the video was made from and its seed
        ToyPrompt p = PROMPTS.get(1);
        ResultRow rtn = read.stream().filter(r -> r.method().equals("rtn") && r.promptIndex() == 1).findFirst()
                .orElseThrow();
        try (NDManager manager = NDManager.newBaseManager()) {
            ToyVideoModel fp = ToyVideoModel.load(MODEL, manager);
            ToyVideoModel q = ToyVideoModel.load(MODEL, manager);
            new Rtn().apply(q.transformer().module(), QuantSpec.W3A3,
                    LayerSelection.insideBlocks(q.transformer().blockPrefixes()));
            assertEquals(ToyOutputFidelity.of(fp, q, WORLD, p, Study.seed(p.index(), 0), manager),
                    rtn.scores().get(OutputFidelity.NAME));
        }
        // the report's "does this dimension tell FP from RTN W3A3" check covers it
        String report = Files.readString(run.resolve("report.md"));
        assertTrue(report.contains(OutputFidelity.NAME + ": separates fp fp32 from rtn w3a3"), report);
    }

    @Test
    void aRerunMeasuresOnlyWhatIsMissing() throws IOException {
        Path dir = copy(run, tmp.resolve("resume"));
        Path record = OutputFidelityRecord.in(dir.resolve("videos").resolve(RTN.key()));
        Path video = dir.resolve(rows.get(3).video());
        FileTime old = FileTime.fromMillis(1_000_000L);
        Files.setLastModifiedTime(video, old);

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        assertEquals(rows, study(dir, log));
        assertFalse(log.toString(StandardCharsets.UTF_8).contains("[" + OutputFidelity.NAME), log.toString());

        // one value lost: only it is measured again, to the same bits
        List<String> lines = new ArrayList<>(Files.readAllLines(record));
        assertEquals(4, lines.size(), "header and the three rtn videos; fp is 1 by definition, not stored");
        lines.remove(2);
        Files.write(record, lines);
        log.reset();
        assertEquals(rows, study(dir, log));
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("[" + OutputFidelity.NAME + " rtn-w3a3] 1/1"),
                log.toString());

        // a run directory made before the dimension existed: videos kept, every value measured
        Files.delete(record);
        log.reset();
        assertEquals(rows, study(dir, log));
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("[" + OutputFidelity.NAME + " rtn-w3a3] 3/3"),
                log.toString());
        assertEquals(old, Files.getLastModifiedTime(video), "the videos were not made again");

        // a damaged record is one line naming it, not a stack trace or a silent gap
        Files.writeString(record, "video,output_fidelity\nx.mp4,lots\n");
        BadInputException e = assertThrows(BadInputException.class, () -> study(dir, new ByteArrayOutputStream()));
        assertEquals(record + ":2: 'lots' is not a number (delete it to measure the arm again)", e.getMessage());
    }

    @Test
    void theGateFlagsADropOnItAndReadsResultsWrittenWithoutIt() throws IOException {
        Path tol = Files.writeString(tmp.resolve("tol.yaml"), "default: 0.01\n");
        Path base = run.resolve("results.csv");
        // planted: the deployed RTN model 0.03 further from full precision on every prompt
        Path dropped = tmp.resolve("dropped/results.csv");
        ResultsCsv.write(dropped, rows.stream().map(r -> r.method().equals("rtn")
                ? with(r, OutputFidelity.NAME, r.scores().get(OutputFidelity.NAME) - 0.03) : r).toList());
        CliRun drop = gate(base, dropped, tol);
        assertEquals(1, drop.code(), drop.out() + drop.err());
        assertTrue(drop.out().lines().anyMatch(l -> l.startsWith(OutputFidelity.NAME + " (rtn w3a3)")
                && l.endsWith("REGRESSION")), drop.out());
        assertEquals(1, drop.out().lines().filter(l -> l.endsWith("REGRESSION")).count(), drop.out());

        // results.csv from before the column: reads, and gates as the baseline with a note
        Path older = tmp.resolve("older/results.csv");
        ResultsCsv.write(older, rows.stream().map(r -> with(r, OutputFidelity.NAME, null)).toList());
        assertFalse(Files.readAllLines(older).get(0).contains(OutputFidelity.NAME));
        assertEquals(6, ResultsCsv.read(older).size());
        CliRun asBaseline = gate(older, base, tol);
        assertEquals(0, asBaseline.code(), asBaseline.out() + asBaseline.err());
        assertTrue(asBaseline.out().contains("note: dimension '" + OutputFidelity.NAME
                + "' of group 'rtn w3a3' is only in the candidate: not compared"), asBaseline.out());
        // as the candidate it cannot be judged on the dimension: one line saying why, exit 2
        CliRun asCandidate = gate(base, older, tol);
        assertEquals(2, asCandidate.code(), asCandidate.out() + asCandidate.err());
        assertEquals(1, asCandidate.err().strip().lines().count(), asCandidate.err());
        assertTrue(asCandidate.err().contains("no candidate row has '" + OutputFidelity.NAME + "' at all"),
                asCandidate.err());
    }

    static CliRun gate(Path baseline, Path candidate, Path tol) {
        return CliRun.of("gate", "--baseline", baseline.toString(), "--candidate", candidate.toString(),
                "--tolerances", tol.toString(), "--junit", tmp.resolve("junit.xml").toString());
    }

    /** {@code r} with {@code dimension} set to {@code value}, or removed when it is null. */
    static ResultRow with(ResultRow r, String dimension, Double value) {
        Map<String, Double> scores = new HashMap<>(r.scores());
        scores.remove(dimension);
        if (value != null) {
            scores.put(dimension, value);
        }
        return new ResultRow(r.method(), r.bits(), r.promptIndex(), r.prompt(), r.seed(), r.video(), scores,
                r.error());
    }

    static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path t = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(f, t);
                }
            }
        }
        return to;
    }
}

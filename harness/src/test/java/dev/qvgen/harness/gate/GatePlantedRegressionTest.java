package dev.qvgen.harness.gate;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;

import dev.qvgen.harness.study.QatArm;
import dev.qvgen.harness.study.QatRecipe;
import dev.qvgen.harness.study.Study;
import dev.qvgen.harness.toy.ToyOutputFidelity;
import dev.qvgen.harness.toy.ToyStudyModel;
import dev.qvgen.metrics.VideoScore;
import dev.qvgen.metrics.VideoScorer;
import dev.qvgen.video.Mp4Writer;
import dev.qvgen.models.toy.ToyPipeline;
import dev.qvgen.models.toy.ToyVideoModel;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.deploy.PackedExport;
import dev.qvgen.quantizer.qat.PlantedFault;
import dev.qvgen.reports.ResultRow;
import dev.qvgen.reports.gate.Gate;
import dev.qvgen.reports.gate.Tolerances;
import dev.qvgen.suites.toy.ToyPrompt;
import dev.qvgen.suites.toy.ToyPromptSuite;
import dev.qvgen.suites.toy.ToyVocabulary;
import dev.qvgen.suites.toy.ToyWorld;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The gate as a CI user runs it, between two tiny toy runs of QVGen W3A3 (a 16-step QAT, 8
 * prompts, the study's MP4 path and dimensions): quiet on an honest rerun of the unchanged code,
 * and failing, with the dimension named, on each planted regression in turn: 1% of weight codes
 * rounded one level off, the activation clip range halved, rank decay switched off.
 *
 * <p>Besides the study's dimensions each row carries {@code fp_fidelity}, 1 - mean |video - the
 * full-precision model's video of the same prompt and seed|: the toy ground truth alone does not
 * see the off-by-one codes at this scale (measured: every toy dimension's interval straddled 0 with
 * 12 prompts and 24 QAT steps), the distance to the full-precision video does (-0.014, interval
 * -0.023 to -0.007). The half clip is caught on toy_color as well. With the toy retrained with coordinate planes
 * (2026-12-08) the off-by-one codes moved fp_fidelity by -0.0053 (interval -0.0127 to +0.0019, no longer caught
 * there) and output_fidelity by -0.0097 (-0.0150 to -0.0050): the deployed transformer's output is where they show.
 *
 * <p>And {@code output_fidelity} ({@link ToyOutputFidelity}): the deployed transformer's output
 * against the full-precision transformer's on each prompt's fixed noised inputs. Rank decay exists
 * so that the model trained is the model deployed; switched off, Φ (half the rank of each 64-wide
 * layer's quantization error) is dropped at export and the deployed model's output moves away from
 * full precision on every prompt. The videos hardly see it after a 16-step QAT (fp_fidelity -0.0045,
 * interval -0.0092 to +0.0008, no toy dimension: measured before output_fidelity was added); the
 * output does (measured 2026-12-07: -0.014, interval -0.018 to -0.010). An honest rerun is
 * bit-identical on one machine, so its intervals are [0, 0].
 */
class GatePlantedRegressionTest {
    static final Path MODEL = Path.of("checkpoints/toy-wan");
    static final ToyWorld WORLD = ToyWorld.defaults();
    static final QatRecipe QAT = QatRecipe.toy().withSteps(16, 2);
    static final ToyPipeline.Settings SAMPLING = new ToyPipeline.Settings(4, 4f, 3.0);
    static final List<ToyPrompt> PROMPTS = ToyPromptSuite.standard().subList(0, 8);
    static final Tolerances TOLERANCES = Tolerances.uniform(0.0);

    @TempDir
    static Path tmp;
    static List<ResultRow> baseline;
    static float[][][][][] fullPrecision;

    @BeforeAll
    static void baseline() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            fullPrecision = generate(ToyVideoModel.load(MODEL, manager), manager);
        }
        baseline = run(tmp.resolve("baseline"), PlantedFault.NONE);
    }

    /** 1 - mean |video - the full-precision model's video of the same prompt and seed|, in [0, 1]. */
    static double fidelity(float[][][][] video, float[][][][] fp) {
        double sum = 0;
        long n = 0;
        for (int t = 0; t < video.length; t++) {
            for (int y = 0; y < video[t].length; y++) {
                for (int x = 0; x < video[t][y].length; x++) {
                    for (int c = 0; c < 3; c++) {
                        sum += Math.abs(Math.min(1, Math.max(0, video[t][y][x][c])) - Math.min(1, Math.max(0, fp[t][y][x][c])));
                        n++;
                    }
                }
            }
        }
        return 1 - sum / n;
    }

    static float[][][][][] generate(ToyVideoModel model, NDManager manager) {
        ToyPipeline pipe = new ToyPipeline(model, WORLD.frames(), WORLD.height(), WORLD.width());
        ToyVocabulary vocab = new ToyVocabulary();
        List<long[]> ids = new ArrayList<>();
        List<Long> seeds = new ArrayList<>();
        for (ToyPrompt p : PROMPTS) {
            int[] tok = vocab.encode(p.caption(), ToyVocabulary.DEFAULT_MAX_LENGTH);
            long[] l = new long[tok.length];
            for (int k = 0; k < tok.length; k++) {
                l[k] = tok[k];
            }
            ids.add(l);
            seeds.add(Study.seed(p.index(), 0));
        }
        return pipe.generate(manager, ids, seeds, SAMPLING);
    }

    @Test
    void anHonestRerunPasses() throws IOException {
        Gate.Report r = Gate.compare(baseline, run(tmp.resolve("rerun"), PlantedFault.NONE), TOLERANCES);
        assertFalse(r.regressed(), describe(r));
    }

    @Test
    void offByOneRoundingInOnePercentOfWeightCodesIsCaught() throws IOException {
        assertCaught(PlantedFault.OFF_BY_ONE_CODES, "output_fidelity");
    }

    @Test
    void anActivationClipAtHalfItsRangeIsCaught() throws IOException {
        assertCaught(PlantedFault.HALF_ACTIVATION_CLIP, "output_fidelity");
    }

    @Test
    void rankDecaySwitchedOffIsCaught() throws IOException {
        assertCaught(PlantedFault.NO_RANK_DECAY, "output_fidelity");
    }

    /** The gate fails on {@code fault}, naming each regressed dimension, {@code dimension} among them. */
    static void assertCaught(PlantedFault fault, String dimension) throws IOException {
        Gate.Report r = Gate.compare(baseline, run(tmp.resolve(fault.name()), fault), TOLERANCES);
        System.out.println(fault + ":\n" + describe(r));
        assertTrue(r.regressed(), fault + " was not caught:\n" + describe(r));
        assertTrue(r.checks().stream().anyMatch(c -> c.dimension().equals(dimension)
                && c.verdict() == Gate.Verdict.REGRESSION), fault + " not caught on " + dimension + ":\n" + describe(r));
        for (Gate.Check c : r.checks()) {
            if (c.verdict() == Gate.Verdict.REGRESSION) {
                assertTrue(c.message().startsWith(c.dimension() + " (qvgen w3a3)"), c.message());
            }
        }
    }

    static String describe(Gate.Report r) {
        return r.checks().stream().map(Gate.Check::message).collect(Collectors.joining("\n"));
    }

    /** One tiny run with {@code fault} planted: QAT, export, deployed model, videos, scores. */
    static List<ResultRow> run(Path dir, PlantedFault fault) throws IOException {
        List<ResultRow> rows = new ArrayList<>();
        try (PlantedFault.Scope planted = PlantedFault.plant(fault);
                NDManager manager = NDManager.newBaseManager()) {
            Path export = new QatArm(new ToyStudyModel(WORLD, MODEL, 1), QAT,
                    new PrintStream(PrintStream.nullOutputStream())).trainAndExport("qvgen", QuantSpec.W3A3,
                            dir.resolve("qat"));
            ToyVideoModel model = ToyVideoModel.load(MODEL, manager);
            PackedExport.load(export, model.transformer(), manager);
            ToyVideoModel fp = ToyVideoModel.load(MODEL, manager);
            float[][][][][] videos = generate(model, manager);
            VideoScorer scorer = VideoScorer.standard();
            for (int i = 0; i < PROMPTS.size(); i++) {
                ToyPrompt p = PROMPTS.get(i);
                Path video = dir.resolve("videos").resolve(p.caption() + "-0.mp4");
                Mp4Writer.write(video, videos[i], WORLD.fps());
                VideoScore vs = scorer.score(video, p.caption(), ToyStudyModel.METRICS);
                java.util.Map<String, Double> scores = new java.util.LinkedHashMap<>(vs.scores());
                scores.put("fp_fidelity", fidelity(videos[i], fullPrecision[i]));
                scores.put("output_fidelity", ToyOutputFidelity.of(fp, model, WORLD, p, Study.seed(p.index(), 0),
                        manager));
                rows.add(new ResultRow("qvgen", "w3a3", p.index(), p.caption(), Study.seed(p.index(), 0),
                        dir.relativize(video).toString(), scores, vs.error()));
            }
        }
        return rows;
    }
}

package dev.qvgen.harness.cli;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.harness.Djl;
import dev.qvgen.harness.toy.StudyArm;
import dev.qvgen.harness.toy.ToyQat;
import dev.qvgen.harness.toy.ToyReport;
import dev.qvgen.harness.toy.ToyStudy;
import dev.qvgen.models.toy.ToyPipeline;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.reports.ResultRow;
import dev.qvgen.suites.toy.ToyPrompt;
import dev.qvgen.suites.toy.ToyPromptSuite;
import dev.qvgen.suites.toy.ToyWorld;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** The main job: the quantization study on the toy world, end to end, resumable. */
@Command(name = "reproduce", mixinStandardHelpOptions = true,
        description = "Run the study on the embedded toy world: generate the prompt suite with each method and bit "
                + "width, encode and decode the videos as H.264 MP4, score them and write results and reports. "
                + "Re-running with the same --out resumes and skips finished videos.")
public final class ReproduceCommand implements Callable<Integer> {
    @Option(names = "--out", description = "Run directory (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("runs/toy-smoke");

    @Option(names = "--model", description = "Toy model checkpoint directory (default: ${DEFAULT-VALUE}).")
    Path model = Defaults.TOY_MODEL;

    @Option(names = "--methods", split = ",", description = "Methods (default: ${DEFAULT-VALUE}; known: "
            + "fp, rtn, vidit-q, svdquant, lsq, qdm, efficientdm, qvgen).")
    List<String> methods = List.of("fp", "rtn", "lsq", "qvgen");

    @Option(names = "--bits", split = ",", description = "Bit widths for quantized methods (default: ${DEFAULT-VALUE}).")
    List<String> bits = List.of("w4a4", "w3a3");

    @Option(names = "--seeds", description = "Videos per prompt (default: ${DEFAULT-VALUE}).")
    int seeds = 2;

    @Option(names = "--steps", description = "Sampling steps (default: ${DEFAULT-VALUE}).")
    int steps = ToyPipeline.Settings.defaults().steps();

    @Option(names = "--guidance", description = "Classifier-free guidance scale (default: ${DEFAULT-VALUE}).")
    float guidance = ToyPipeline.Settings.defaults().guidanceScale();

    @Option(names = "--prompts", description = "Prompt file, one caption per line (default: the 32-prompt toy suite).")
    Path prompts;

    @Option(names = "--batch", description = "Videos generated together (default: ${DEFAULT-VALUE}).")
    int batch = 16;

    @Option(names = "--qat-steps", description = "QAT steps per quantization-aware arm (default: ${DEFAULT-VALUE}).")
    int qatSteps = ToyQat.Settings.defaults().steps();

    @Option(names = "--qat-batch", description = "QAT batch size (default: ${DEFAULT-VALUE}).")
    int qatBatch = ToyQat.Settings.defaults().batch();

    @Option(names = "--threads", description = "Intra-op threads (default: all cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Override
    public Integer call() throws Exception {
        if (seeds < 1 || steps < 1 || batch < 1 || qatSteps < 1 || qatBatch < 1) {
            throw new BadInputException("--seeds, --steps, --batch, --qat-steps and --qat-batch must be positive");
        }
        List<StudyArm> arms = arms();
        List<ToyPrompt> suite = prompts == null ? ToyPromptSuite.standard() : readPrompts(prompts);
        Djl.configure(threads);
        long t0 = System.nanoTime();
        ToyPipeline.Settings sampling = new ToyPipeline.Settings(steps, guidance, ToyPipeline.Settings.defaults().shift());
        ToyStudy study = new ToyStudy(ToyWorld.defaults(), model,
                new ToyStudy.Settings(arms, seeds, sampling, batch, qatSettings()), System.out);
        Files.createDirectories(out);
        List<ResultRow> rows = study.run(out, suite);
        ToyReport.write(out, rows, ToyStudy.METRICS, model);
        System.out.printf("wrote %s (results.csv, results.json, report.md, report.html) in %.1f s%n",
                out, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    private ToyQat.Settings qatSettings() {
        ToyQat.Settings d = ToyQat.Settings.defaults();
        int warmup = Math.max(1, qatSteps / 10);
        return new ToyQat.Settings(qatSteps, qatBatch, d.lrScale(), warmup, d.captionDropout(), d.seed(), d.phiRank(),
                d.clipGroups(), Math.max(1, Math.min(d.checkpointEvery(), qatSteps / 4)));
    }

    private List<StudyArm> arms() {
        List<StudyArm> arms = new ArrayList<>();
        for (String m : methods) {
            String method = m.trim().toLowerCase(java.util.Locale.ROOT);
            if (method.equals(StudyArm.FP)) {
                arms.add(new StudyArm(StudyArm.FP, null));
                continue;
            }
            if (!ToyStudy.METHODS.contains(method)) {
                throw new BadInputException("unknown method '" + m + "' (known: " + String.join(", ", ToyStudy.METHODS)
                        + ")");
            }
            for (String b : bits) {
                try {
                    arms.add(new StudyArm(method, QuantSpec.parse(b)));
                } catch (IllegalArgumentException e) {
                    throw new BadInputException(e.getMessage());
                }
            }
        }
        return arms;
    }

    private static List<ToyPrompt> readPrompts(Path file) {
        try {
            return ToyPromptSuite.read(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new BadInputException(file + ": file not found");
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
    }
}

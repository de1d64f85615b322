package dev.qvgen.harness.study;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.harness.Progress;
import dev.qvgen.metrics.VideoScore;
import dev.qvgen.metrics.VideoScorer;
import dev.qvgen.video.Mp4Writer;
import dev.qvgen.models.family.DenoisingTransformer;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.Methods;
import dev.qvgen.quantizer.Rtn;
import dev.qvgen.quantizer.deploy.PackedExport;
import dev.qvgen.reports.ResultRow;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The study, the same for every model: for each arm (full precision, a method at a bit width)
 * train or calibrate it once, pack and export it, load the export into a fresh full-precision
 * model, generate every prompt x seed, write each video as H.264 MP4, then score the decoded
 * files into result rows. Exports and videos already on disk are kept, so an interrupted run
 * resumes where it stopped. What differs between models is a {@link StudyModel}.
 */
public final class Study {
    /**
     * How videos are sampled, the QAT recipe of QAT arms and the calibration of calibrated ones,
     * the device that trains, calibrates and generates (scoring stays on the CPU), and the
     * metrics scored.
     */
    public record Settings(StudyModel.Sampling sampling, QatRecipe qat, PtqArm.Settings ptq, Device device,
            List<String> metrics) {}

    /** QAT work directory of an arm: training log, checkpoint and the packed export. */
    public static Path qatDir(Path runDir, StudyArm arm) {
        return runDir.resolve("qat").resolve(arm.key());
    }

    /** Calibration and export directory of a calibrated post-training arm. */
    public static Path ptqDir(Path runDir, StudyArm arm) {
        return runDir.resolve("ptq").resolve(arm.key());
    }

    /** Video file of one prompt and seed index, VBench-2.0's naming ({@code <prompt cut to 180>-<index>.mp4}, see VideoNames). */
    public static Path videoPath(Path runDir, StudyArm arm, String prompt, int seedIndex) {
        return runDir.resolve("videos").resolve(arm.key()).resolve(
                dev.qvgen.metrics.eval.VideoNames.fileName(prompt, seedIndex));
    }

    /** Seed of the i-th sample of prompt {@code promptIndex}; distinct across prompts so no two videos share noise. */
    public static long seed(int promptIndex, int seedIndex) {
        return 1000L * promptIndex + seedIndex;
    }

    /** One video of an arm: a prompt (its index in the suite and text) and which of its samples. */
    public record Sample(int promptIndex, String prompt, int seedIndex) {
        public long seed() {
            return Study.seed(promptIndex, seedIndex);
        }
    }

    /**
     * An arm's share of a run: every sample of the arm in the plan's order (it fixes the
     * generation batches) and the indices of those this run makes (all, or a shard's).
     */
    public record Work(StudyArm arm, List<Sample> all, BitSet owned) {
        public static Work whole(StudyArm arm, List<String> prompts, int seeds) {
            List<Sample> all = new ArrayList<>();
            for (int p = 0; p < prompts.size(); p++) {
                for (int k = 0; k < seeds; k++) {
                    all.add(new Sample(p, prompts.get(p), k));
                }
            }
            BitSet owned = new BitSet();
            owned.set(0, all.size());
            return new Work(arm, all, owned);
        }
    }

    private final StudyModel model;
    private final Settings s;
    private final VideoScorer scorer;
    private final PrintStream log;

    public Study(StudyModel model, Settings settings, VideoScorer scorer, PrintStream log) {
        this.model = model;
        this.s = settings;
        this.scorer = scorer;
        this.log = log;
    }

    /** Every arm over every prompt and {@code seeds} seeds. */
    public List<ResultRow> run(Path runDir, List<StudyArm> arms, List<String> prompts, int seeds) throws IOException {
        List<Work> work = new ArrayList<>();
        arms.forEach(a -> work.add(Work.whole(a, prompts, seeds)));
        return run(runDir, work);
    }

    /**
     * What the rows carry: the scored video metrics, then {@link OutputFidelity#NAME} where the
     * model measures it. Reports and the discrimination check take this list.
     */
    public List<String> dimensions() {
        List<String> d = new ArrayList<>(s.metrics());
        if (model.outputFidelity().isPresent()) {
            d.add(OutputFidelity.NAME);
        }
        return d;
    }

    /** Generates (training or calibrating first where an arm needs it) and scores the given work. */
    public List<ResultRow> run(Path runDir, List<Work> work) throws IOException {
        if (model.outputFidelity().isEmpty()) {
            log.printf("[%s] not recorded for %s: it has no fixed reference inputs per prompt (toy only, see "
                    + "docs/STUDY.md)%n", OutputFidelity.NAME, model.name());
        }
        for (Work w : work) {
            generateArm(runDir, w);
        }
        return score(runDir, work);
    }

    /**
     * Generates the arm's missing videos, and measures its missing {@link OutputFidelity} values
     * with the same loaded arm. Videos are made in fixed batches of the whole
     * (prompt x seed) list, and a batch with any missing video is made whole again: a float GEMM's
     * rounding can depend on the batch size, and at 3 bits one flipped rounding is visible, so
     * only the same batches give a resumed run the bits of an uninterrupted one.
     */
    private void generateArm(Path runDir, Work work) throws IOException {
        StudyArm arm = work.arm();
        List<Sample> all = work.all();
        int owned = work.owned().cardinality();
        int missing = 0;
        for (int i = work.owned().nextSetBit(0); i >= 0; i = work.owned().nextSetBit(i + 1)) {
            missing += Files.exists(videoPath(runDir, arm, all.get(i))) ? 0 : 1;
        }
        List<Integer> unmeasured = unmeasured(runDir, work);
        if (missing == 0) {
            log.printf("[generate %s] all %d videos present, skipped%n", arm.key(), owned);
            if (unmeasured.isEmpty()) {
                return;
            }
        }
        Files.createDirectories(runDir.resolve("videos").resolve(arm.key()));
        if (missing > 0) {
            recordDevice(runDir.resolve("videos").resolve(arm.key()), arm);
        }
        int batch = model.generationBatch();
        // Each arm starts from the full-precision model as published; quantized arms replace its weights.
        try (NDManager manager = NDManager.newBaseManager(s.device());
                StudyModel.Instance instance = model.load(manager)) {
            applyArm(runDir, arm, instance.transformer(), manager);
            if (missing > 0) {
                // Created after training or calibration, so its rate and ETA are the generation's.
                Progress progress = new Progress("generate " + arm.key(), owned, log);
                progress.skip(owned - missing);
                for (int from = 0; from < all.size(); from += batch) {
                    int to = Math.min(from + batch, all.size());
                    boolean needed = false;
                    for (int i = from; i < to; i++) {
                        needed |= work.owned().get(i) && !Files.exists(videoPath(runDir, arm, all.get(i)));
                    }
                    if (!needed) {
                        continue;
                    }
                    List<StudyModel.Sample> samples = new ArrayList<>();
                    for (int i = from; i < to; i++) {
                        samples.add(new StudyModel.Sample(all.get(i).prompt(), all.get(i).seed()));
                    }
                    // The whole batch is generated (a shard's first and last batches hold other shards'
                    // samples too), so every video has the bits of an unsharded, uninterrupted run.
                    float[][][][][] videos = instance.generate(manager, samples, s.sampling());
                    for (int i = from; i < to; i++) {
                        Path video = videoPath(runDir, arm, all.get(i));
                        if (work.owned().get(i) && !Files.exists(video)) {
                            Mp4Writer.write(video, videos[i - from], model.fps());
                            progress.step(all.get(i).prompt());
                        }
                    }
                }
            }
            // After the videos, so generation runs exactly as it did before the dimension existed.
            measureFidelity(runDir, work, unmeasured, instance, manager);
        }
    }

    /**
     * The owned samples of a quantized arm whose {@link OutputFidelity} is not in the arm's record
     * yet; none where the model does not measure it or the arm is full precision (1 by definition).
     */
    private List<Integer> unmeasured(Path runDir, Work work) throws IOException {
        List<Integer> out = new ArrayList<>();
        if (model.outputFidelity().isEmpty() || work.arm().method().equals(StudyArm.FP)) {
            return out;
        }
        java.util.Map<String, Double> measured = OutputFidelityRecord.read(
                OutputFidelityRecord.in(runDir.resolve("videos").resolve(work.arm().key())));
        for (int i = work.owned().nextSetBit(0); i >= 0; i = work.owned().nextSetBit(i + 1)) {
            if (!measured.containsKey(videoPath(runDir, work.arm(), work.all().get(i)).getFileName().toString())) {
                out.add(i);
            }
        }
        return out;
    }

    /**
     * Measures {@code unmeasured} samples of the arm loaded in {@code deployed} against a fresh
     * full-precision instance, saving the record after each, so an interrupted run keeps what it
     * measured.
     */
    private void measureFidelity(Path runDir, Work work, List<Integer> unmeasured, StudyModel.Instance deployed,
            NDManager manager) throws IOException {
        if (unmeasured.isEmpty()) {
            return;
        }
        OutputFidelity fidelity = model.outputFidelity().orElseThrow();
        Path file = OutputFidelityRecord.in(runDir.resolve("videos").resolve(work.arm().key()));
        java.util.Map<String, Double> measured = OutputFidelityRecord.read(file);
        Progress progress = new Progress(OutputFidelity.NAME + " " + work.arm().key(), unmeasured.size(), log);
        try (StudyModel.Instance fp = model.load(manager)) {
            for (int i : unmeasured) {
                Sample smp = work.all().get(i);
                measured.put(videoPath(runDir, work.arm(), smp).getFileName().toString(),
                        fidelity.of(fp, deployed, new StudyModel.Sample(smp.prompt(), smp.seed()), manager));
                OutputFidelityRecord.write(file, measured);
                progress.step(smp.prompt());
            }
        }
    }

    /**
     * Adds this run's device to the arm's {@code devices.txt}: the same seed gives bit-identical
     * videos on the CPU only, so a resumed arm whose videos come from two devices says so.
     */
    private void recordDevice(Path videoDir, StudyArm arm) throws IOException {
        Path file = videoDir.resolve("devices.txt");
        Set<String> devices = new LinkedHashSet<>(Files.exists(file) ? Files.readAllLines(file) : List.of());
        if (devices.add(s.device().toString())) {
            if (devices.size() > 1) {
                log.printf("[generate %s] note: this arm now has videos made on %s; videos are bit-identical "
                        + "per seed on one device only%n", arm.key(), String.join(" and ", devices));
            }
            Path tmp = videoDir.resolve("devices.txt.tmp");
            try {
                Files.write(tmp, devices);
                Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                Files.deleteIfExists(tmp);
                throw dev.qvgen.layers.io.IoErrors.cannot("write", file, e);
            }
        }
    }

    private static Path videoPath(Path runDir, StudyArm arm, Sample sample) {
        return videoPath(runDir, arm, sample.prompt(), sample.seedIndex());
    }

    private void applyArm(Path runDir, StudyArm arm, DenoisingTransformer transformer, NDManager manager)
            throws IOException {
        Path export = export(runDir, arm);
        if (export != null) {
            PackedExport.load(export, transformer.module(), manager);
        } else if (arm.method().equals("rtn")) {
            new Rtn().apply(transformer.module(), arm.spec(), LayerSelection.insideBlocks(transformer.blockPrefixes()));
        }
    }

    /** Trains or calibrates the arm if it needs it; its packed export, or null (fp, rtn). */
    public Path export(Path runDir, StudyArm arm) throws IOException {
        Methods.Method m;
        try {
            m = Methods.get(arm.method());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
        if (m.isQat()) {
            return new QatArm(model, s.qat(), log).onDevice(s.device()).trainAndExport(arm.method(), arm.spec(),
                    qatDir(runDir, arm));
        }
        if (m.isCalibrated()) {
            return new PtqArm(model, s.ptq(), log).onDevice(s.device()).calibrateAndExport(arm.method(), arm.spec(),
                    ptqDir(runDir, arm));
        }
        return null;
    }

    private List<ResultRow> score(Path runDir, List<Work> work) throws IOException {
        List<ResultRow> rows = new ArrayList<>();
        Progress progress = new Progress("score", work.stream().mapToInt(w -> w.owned().cardinality()).sum(), log);
        boolean fidelity = model.outputFidelity().isPresent();
        for (Work w : work) {
            boolean fp = w.arm().method().equals(StudyArm.FP);
            java.util.Map<String, Double> measured = fidelity && !fp ? OutputFidelityRecord.read(
                    OutputFidelityRecord.in(runDir.resolve("videos").resolve(w.arm().key()))) : java.util.Map.of();
            for (int i = w.owned().nextSetBit(0); i >= 0; i = w.owned().nextSetBit(i + 1)) {
                Sample smp = w.all().get(i);
                Path video = videoPath(runDir, w.arm(), smp);
                VideoScore vs = scorer.score(video, smp.prompt(), s.metrics());
                java.util.Map<String, Double> scores = vs.scores();
                if (fidelity) {
                    scores = new java.util.HashMap<>(scores);
                    scores.put(OutputFidelity.NAME, fp ? OutputFidelity.FULL_PRECISION
                            : measured.get(video.getFileName().toString()));
                }
                rows.add(new ResultRow(w.arm().method(), w.arm().bitsLabel(), smp.promptIndex(), smp.prompt(),
                        smp.seed(), runDir.relativize(video).toString(), scores, vs.error()));
                progress.step(null);
            }
        }
        return rows;
    }
}

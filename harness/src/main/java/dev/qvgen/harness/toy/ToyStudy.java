package dev.qvgen.harness.toy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.harness.Progress;
import dev.qvgen.metrics.VideoScore;
import dev.qvgen.metrics.VideoScorer;
import dev.qvgen.metrics.video.Mp4Writer;
import dev.qvgen.models.toy.ToyPipeline;
import dev.qvgen.models.toy.ToyVideoModel;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.Methods;
import dev.qvgen.quantizer.Rtn;
import dev.qvgen.quantizer.deploy.PackedExport;
import dev.qvgen.reports.ResultRow;
import dev.qvgen.suites.toy.ToyPrompt;
import dev.qvgen.suites.toy.ToyVocabulary;
import dev.qvgen.suites.toy.ToyWorld;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The toy-world study: for each arm (full precision, RTN at each bit width) generate every
 * prompt x seed, write each video as H.264 MP4, then score the decoded files. Videos already on
 * disk are kept, so an interrupted run resumes where it stopped.
 */
public final class ToyStudy {
    public static final List<String> METRICS = List.of("toy_color", "toy_shape", "toy_motion", "toy_persistence",
            "temporal_flickering", "dynamic_degree");

    /**
     * How videos are sampled, how many are generated together, the QAT recipe of QAT arms, and
     * the device that trains, calibrates and generates (scoring stays on the CPU).
     */
    public record Settings(ToyPipeline.Settings sampling, int batch, ToyQat.Settings qat, Device device) {
        /** On the CPU, where the same seed gives bit-identical videos. */
        public Settings(ToyPipeline.Settings sampling, int batch, ToyQat.Settings qat) {
            this(sampling, batch, qat, Device.cpu());
        }
    }

    /** Methods the toy study knows: full precision, post-training and quantization-aware ones. */
    public static final List<String> METHODS = Methods.names();

    /** QAT work directory of an arm: training log, checkpoint and the packed export. */
    public static Path qatDir(Path runDir, StudyArm arm) {
        return runDir.resolve("qat").resolve(arm.key());
    }

    /** Calibration and export directory of a calibrated post-training arm. */
    public static Path ptqDir(Path runDir, StudyArm arm) {
        return runDir.resolve("ptq").resolve(arm.key());
    }

    private final ToyWorld world;
    private final Path modelDir;
    private final Settings s;
    private final PrintStream log;
    private final ToyVocabulary vocab = new ToyVocabulary();

    public ToyStudy(ToyWorld world, Path modelDir, Settings settings, PrintStream log) {
        this.world = world;
        this.modelDir = modelDir;
        this.s = settings;
        this.log = log;
    }

    /** Video file of one prompt and seed index, VBench's naming: {@code <prompt>-<index>.mp4}. */
    public static Path videoPath(Path runDir, StudyArm arm, ToyPrompt p, int seedIndex) {
        return runDir.resolve("videos").resolve(arm.key()).resolve(
                dev.qvgen.metrics.eval.VideoNames.fileName(p.caption(), seedIndex));
    }

    /** Seed of the i-th sample of a prompt; distinct across prompts so no two videos share noise. */
    public static long seed(ToyPrompt p, int seedIndex) {
        return 1000L * p.index() + seedIndex;
    }

    /** One video of an arm: a prompt and which of its samples. */
    public record Sample(ToyPrompt prompt, int seedIndex) {}

    /**
     * An arm's share of a run: every sample of the arm in the plan's order (it fixes the
     * generation batches) and the indices of those this run makes (all, or a shard's).
     */
    public record Work(StudyArm arm, List<Sample> all, java.util.BitSet owned) {
        public static Work whole(StudyArm arm, List<ToyPrompt> prompts, int seeds) {
            List<Sample> all = new ArrayList<>();
            for (ToyPrompt p : prompts) {
                for (int k = 0; k < seeds; k++) {
                    all.add(new Sample(p, k));
                }
            }
            java.util.BitSet owned = new java.util.BitSet();
            owned.set(0, all.size());
            return new Work(arm, all, owned);
        }
    }

    /** Every arm over every prompt and {@code seeds} seeds. */
    public List<ResultRow> run(Path runDir, List<StudyArm> arms, List<ToyPrompt> prompts, int seeds)
            throws IOException {
        List<Work> work = new ArrayList<>();
        arms.forEach(a -> work.add(Work.whole(a, prompts, seeds)));
        return run(runDir, work);
    }

    /** Generates (training or calibrating first where an arm needs it) and scores the given work. */
    public List<ResultRow> run(Path runDir, List<Work> work) throws IOException {
        for (Work w : work) {
            generateArm(runDir, w);
        }
        return score(runDir, work);
    }

    /**
     * Generates the arm's missing videos. Videos are made in fixed batches of the whole
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
        if (missing == 0) {
            log.printf("[generate %s] all %d videos present, skipped%n", arm.key(), owned);
            return;
        }
        Files.createDirectories(runDir.resolve("videos").resolve(arm.key()));
        recordDevice(runDir.resolve("videos").resolve(arm.key()), arm);
        // Each arm starts from the full-precision model as published; QAT arms replace its weights.
        try (NDManager manager = NDManager.newBaseManager(s.device())) {
            ToyVideoModel model = ToyVideoModel.load(modelDir, manager);
            ToyPipeline pipe = new ToyPipeline(model, world.frames(), world.height(), world.width());
            applyArm(runDir, arm, model, manager);
            // Created after training or calibration, so its rate and ETA are the generation's.
            Progress progress = new Progress("generate " + arm.key(), owned, log);
            progress.skip(owned - missing);
            for (int from = 0; from < all.size(); from += s.batch()) {
                int to = Math.min(from + s.batch(), all.size());
                boolean needed = false;
                for (int i = from; i < to; i++) {
                    needed |= work.owned().get(i) && !Files.exists(videoPath(runDir, arm, all.get(i)));
                }
                if (!needed) {
                    continue;
                }
                List<long[]> ids = new ArrayList<>();
                List<Long> seeds = new ArrayList<>();
                for (int i = from; i < to; i++) {
                    int[] tok = vocab.encode(all.get(i).prompt().caption(), ToyVocabulary.DEFAULT_MAX_LENGTH);
                    long[] l = new long[tok.length];
                    for (int k = 0; k < tok.length; k++) {
                        l[k] = tok[k];
                    }
                    ids.add(l);
                    seeds.add(seed(all.get(i).prompt(), all.get(i).seedIndex()));
                }
                // The whole batch is generated (a shard's first and last batches hold other shards'
                // samples too), so every video has the bits of an unsharded, uninterrupted run.
                float[][][][][] videos = pipe.generate(manager, ids, seeds, s.sampling());
                for (int i = from; i < to; i++) {
                    Path video = videoPath(runDir, arm, all.get(i));
                    if (work.owned().get(i) && !Files.exists(video)) {
                        Mp4Writer.write(video, videos[i - from], world.fps());
                        progress.step(all.get(i).prompt().caption());
                    }
                }
            }
        }
    }

    /**
     * Adds this run's device to the arm's {@code devices.txt}: the same seed gives bit-identical
     * videos on the CPU only, so a resumed arm whose videos come from two devices says so.
     */
    private void recordDevice(Path videoDir, StudyArm arm) throws IOException {
        Path file = videoDir.resolve("devices.txt");
        java.util.Set<String> devices = new java.util.LinkedHashSet<>(
                Files.exists(file) ? Files.readAllLines(file) : List.of());
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
                throw dev.qvgen.models.io.IoErrors.cannot("write", file, e);
            }
        }
    }

    private static Path videoPath(Path runDir, StudyArm arm, Sample sample) {
        return videoPath(runDir, arm, sample.prompt(), sample.seedIndex());
    }

    private void applyArm(Path runDir, StudyArm arm, ToyVideoModel model, NDManager manager) throws IOException {
        Path export = export(runDir, arm);
        if (export != null) {
            PackedExport.load(export, model.transformer(), manager);
        } else if (arm.method().equals("rtn")) {
            new Rtn().apply(model.transformer(), arm.spec(), LayerSelection.insideBlocks());
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
            return new ToyQat(world, s.qat(), log).onDevice(s.device()).trainAndExport(arm.method(), arm.spec(), modelDir, qatDir(runDir, arm));
        }
        if (m.isCalibrated()) {
            return new ToyPtq(world, ToyPtq.Settings.defaults(), log).onDevice(s.device()).calibrateAndExport(arm.method(), arm.spec(),
                    modelDir, ptqDir(runDir, arm));
        }
        return null;
    }

    private List<ResultRow> score(Path runDir, List<Work> work) {
        VideoScorer scorer = VideoScorer.standard();
        List<ResultRow> rows = new ArrayList<>();
        Progress progress = new Progress("score", work.stream().mapToInt(w -> w.owned().cardinality()).sum(), log);
        for (Work w : work) {
            for (int i = w.owned().nextSetBit(0); i >= 0; i = w.owned().nextSetBit(i + 1)) {
                Sample smp = w.all().get(i);
                ToyPrompt p = smp.prompt();
                Path video = videoPath(runDir, w.arm(), smp);
                VideoScore vs = scorer.score(video, p.caption(), METRICS);
                rows.add(new ResultRow(w.arm().method(), w.arm().bitsLabel(), p.index(), p.caption(),
                        seed(p, smp.seedIndex()), runDir.relativize(video).toString(), vs.scores(), vs.error()));
                progress.step(null);
            }
        }
        return rows;
    }
}

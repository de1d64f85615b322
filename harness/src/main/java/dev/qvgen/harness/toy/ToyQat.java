package dev.qvgen.harness.toy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.harness.Progress;
import dev.qvgen.models.toy.ToyVideoModel;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.Methods;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.deploy.PackedExport;
import dev.qvgen.quantizer.deploy.PackedLinear;
import dev.qvgen.quantizer.qat.ClippedDynamicActQuantizer;
import dev.qvgen.quantizer.qat.LowRankBranch;
import dev.qvgen.quantizer.qat.QatLayers;
import dev.qvgen.quantizer.qat.QatTrainer;
import dev.qvgen.quantizer.qat.RankDecay;
import dev.qvgen.suites.toy.ToyVocabulary;
import dev.qvgen.suites.toy.ToyWorld;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Quantization-aware training of the toy model's transformer (QVGen with Φ and rank decay, LSQ,
 * Q-DM, EfficientDM: see {@link Methods}) by distillation from the full-precision model, on toy-world videos noised at uniform
 * timesteps (as the official QVGen training does). The text encoder stays full precision and
 * frozen. The result is exported packed ({@link PackedExport}); an existing export means the
 * arm is done, and an interrupted training resumes from its checkpoint.
 */
public final class ToyQat {
    /**
     * The toy recipe. The official one (lr 3e-5, 2667 steps at batch 48) fits a pre-trained 1.3B
     * model; the toy model learnt at 1e-3, so its QAT uses {@code lrScale} times the official rates.
     */
    public record Settings(int steps, int batch, float lrScale, int warmupSteps, float captionDropout, long seed,
            int phiRank, int clipGroups, int checkpointEvery, QatTrainer.Loss loss) {
        public static Settings defaults() {
            return new Settings(160, 8, 10f, 16, 0.1f, 0, LowRankBranch.DEFAULT_RANK,
                    ClippedDynamicActQuantizer.DEFAULT_GROUPS, 40, null);
        }

        /** The same recipe with other steps and batch (warm-up 10%, checkpoints at most every quarter). */
        public Settings withSteps(int newSteps, int newBatch) {
            return new Settings(newSteps, newBatch, lrScale, Math.max(1, newSteps / 10), captionDropout, seed, phiRank,
                    clipGroups, Math.max(1, Math.min(checkpointEvery, newSteps / 4)), loss);
        }

        /** The same recipe with the loss forced (null: each method's own). */
        public Settings withLoss(QatTrainer.Loss l) {
            return new Settings(steps, batch, lrScale, warmupSteps, captionDropout, seed, phiRank, clipGroups,
                    checkpointEvery, l);
        }
    }

    public static final String EXPORT = "quantized.safetensors";

    private final ToyWorld world;
    private final ToyVocabulary vocab = new ToyVocabulary();
    private final Settings s;
    private final PrintStream log;

    public ToyQat(ToyWorld world, Settings settings, PrintStream log) {
        this.world = world;
        this.s = settings;
        this.log = log;
    }

    private ai.djl.Device device = ai.djl.Device.cpu();

    /** Trains on {@code d} (e.g. a GPU) instead of the CPU. */
    public ToyQat onDevice(ai.djl.Device d) {
        this.device = d;
        return this;
    }

    /**
     * Trains the QAT {@code method} (see {@link Methods}) at {@code spec} from the FP model in
     * {@code modelDir}, working in {@code workDir}; returns the export (skips training if present).
     */
    public Path trainAndExport(String method, QuantSpec spec, Path modelDir, Path workDir) throws IOException {
        Path export = workDir.resolve(EXPORT);
        if (Files.exists(export)) {
            log.printf("[qat %s-%s] export present, training skipped%n", method, spec.label());
            return export;
        }
        Methods.Method m = Methods.get(method);
        if (!m.isQat()) {
            throw new IllegalArgumentException("not a QAT method: " + method);
        }
        Methods.Qat qat = m.qat();
        try (NDManager manager = NDManager.newBaseManager(device)) {
            ToyVideoModel teacher = ToyVideoModel.load(modelDir, manager);
            ToyVideoModel student = ToyVideoModel.load(modelDir, manager);
            QatLayers.Options options = new QatLayers.Options(qat.phiRank() > 0 ? s.phiRank() : 0,
                    qat.loraRank() > 0 ? s.phiRank() : 0, s.clipGroups());
            QatLayers layers = QatLayers.install(student.transformer(), spec, LayerSelection.insideBlocks(), options,
                    manager);
            int r0 = layers.initialPhiRank();
            // Φ is gone after 90% of the steps, so the last 10% train the model as it will run.
            RankDecay decay = r0 > 0 ? RankDecay.fitting(s.steps(), r0, 0.9, true) : null;
            QatTrainer.Settings ts = new QatTrainer.Settings(s.steps(), s.warmupSteps(), 1,
                    QatLayers.LearningRates.official().scaled(s.lrScale()), 1.0, decay, s.loss() == null ? qat.loss() : s.loss(),
                    s.checkpointEvery());
            Progress progress = new Progress("qat " + method + "-" + spec.label(), s.steps(), log);
            Task task = new Task(teacher, student);
            new QatTrainer(ts).train(student.transformer(), layers, task, manager, workDir,
                    new QatTrainer.StepListener() {
                        @Override
                        public void onStep(int step, double loss, double norm) {
                            progress.step(String.format(Locale.ROOT, "loss %.4g grad %.3g", loss, norm));
                        }

                        @Override
                        public void onResume(int step) {
                            // before the loop, so the counter goes on from the checkpoint's step
                            log.printf("[qat %s-%s] resumed from step %d%n", method, spec.label(), step);
                            progress.skip(step);
                        }
                    });
            Map<String, PackedLinear> packed = new LinkedHashMap<>();
            layers.layers().forEach((name, l) -> packed.put(name, layers.kernels().get(name).pack(l)));
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("method", method);
            meta.put("bits", spec.label());
            meta.put("steps", String.valueOf(s.steps()));
            meta.put("decay_period", decay == null ? "none" : String.valueOf(decay.period()));
            PackedExport.write(export, student.transformer(), packed, meta);
        }
        return export;
    }

    /** Distillation task: the student and the teacher see the same noisy toy videos and captions. */
    private final class Task implements QatTrainer.Task {
        private final ToyVideoModel teacher;
        private final ToyVideoModel student;

        Task(ToyVideoModel teacher, ToyVideoModel student) {
            this.teacher = teacher;
            this.student = student;
        }

        @Override
        public QatTrainer.Batch batch(int step, NDManager manager) {
            Random rng = ToyBatch.rng(s.seed(), step);
            ToyBatch b = ToyBatch.sample(world, vocab, s.batch(), rng, s.captionDropout(), ToyBatch.Sigmas.UNIFORM,
                    manager);
            // The text encoder is not quantized; its states are the teacher's, outside autograd.
            NDArray text = teacher.textEncoder().forward(b.ids()).stopGradient();
            return new QatTrainer.Batch(b.noisy(), b.timesteps(), text, b.x0());
        }

        @Override
        public NDArray student(QatTrainer.Batch b) {
            return student.transformer().forward(b.input(), b.timesteps(), b.context());
        }

        @Override
        public NDArray teacher(QatTrainer.Batch b) {
            return teacher.transformer().forward(b.input(), b.timesteps(), b.context());
        }
    }
}

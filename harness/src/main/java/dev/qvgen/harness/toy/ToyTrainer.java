package dev.qvgen.harness.toy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;

import dev.qvgen.harness.Progress;
import dev.qvgen.models.toy.ToyTextEncoderConfig;
import dev.qvgen.models.toy.ToyVideoModel;
import dev.qvgen.layers.train.AdamW;
import dev.qvgen.models.wan.WanConfig;
import dev.qvgen.suites.toy.ToyVocabulary;
import dev.qvgen.suites.toy.ToyWorld;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Trains the toy text-to-video model from scratch on Wan's rectified-flow path
 * {@code x_t = (1 - s) x0 + s e} at timestep {@code 1000 s}, with the network predicting the clean
 * sample {@code x0} (the flow {@code e - x0 = (x_t - x0) / s} follows from it). Each step's batch
 * comes from its own seed, so a resumed run sees the same data as an uninterrupted one.
 */
public final class ToyTrainer {
    public record Settings(int steps, int batch, float lr, int warmup, long seed, float captionDropout,
            int checkpointEvery, int heads, int headDim, int layers, int[] patch, ToyBatch.Sigmas sigmas,
            float objectWeight, int dataThreads, boolean coordinates) {
        public Settings(int steps, int batch, float lr, int warmup, long seed, float captionDropout,
                int checkpointEvery, int heads, int layers) {
            this(steps, batch, lr, warmup, seed, captionDropout, checkpointEvery, heads, 16, layers, new int[] {2, 4, 4},
                    ToyBatch.Sigmas.LOGIT_NORMAL, 1f, 1, false);
        }

        /**
         * The committed checkpoint's recipe: 8000 steps of 12 clips, 4 blocks of 4 heads x 16 on (2,4,4) patches, with
         * the coordinate planes (bench/toy-diag/FINDINGS.md, session 3: without them the model cannot read the
         * direction word; 3500 steps with them scored 0.552, 8000 steps 0.693).
         */
        public static Settings defaults() {
            return new Settings(8000, 12, 1e-3f, 100, 0, 0.1f, 250, 4, 16, 4, new int[] {2, 4, 4},
                    ToyBatch.Sigmas.LOGIT_NORMAL, 1f, 1, true);
        }
    }

    private final ToyWorld world;
    private final ToyVocabulary vocab = new ToyVocabulary();
    private final Settings s;
    private final PrintStream log;

    public ToyTrainer(ToyWorld world, Settings settings, PrintStream log) {
        this.world = world;
        this.s = settings;
        this.log = log;
    }

    private ai.djl.Device device = ai.djl.Device.cpu();

    /** Trains on {@code d} (e.g. a GPU) instead of the CPU. */
    public ToyTrainer onDevice(ai.djl.Device d) {
        this.device = d;
        return this;
    }

    /** Trains into {@code outDir}, resuming from {@code outDir/checkpoint} when present. */
    public void train(Path outDir, Path finalModelDir) throws IOException {
        Files.createDirectories(outDir);
        Path ckpt = outDir.resolve("checkpoint");
        Path logCsv = outDir.resolve("training_log.csv");
        try (NDManager manager = NDManager.newBaseManager(device)) {
            ToyVideoModel model;
            int start;
            if (Files.exists(ckpt.resolve("step.txt"))) {
                model = ToyVideoModel.load(ckpt, manager);
                start = Integer.parseInt(Files.readString(ckpt.resolve("step.txt")).trim());
                log.printf("resuming from step %d (%s)%n", start, ckpt);
            } else {
                ToyTextEncoderConfig tc = new ToyTextEncoderConfig(vocab.size(), ToyVocabulary.DEFAULT_MAX_LENGTH, 32);
                WanConfig wc = ToyVideoModel.transformerConfig(tc.dim(), s.heads(), s.headDim(), s.layers(), s.patch(),
                        s.coordinates());
                model = ToyVideoModel.random(tc, wc, manager, s.seed());
                start = 0;
                Files.writeString(logCsv, "step,loss,grad_norm,lr,seconds\n");
            }
            List<Parameter> params = new ArrayList<>();
            params.addAll(model.textEncoder().namedParameters().values());
            params.addAll(model.transformer().namedParameters().values());
            for (Parameter p : params) {
                p.getArray().setRequiresGradient(true);
            }
            // Moments restart on resume; the per-step data seeds keep the data identical.
            AdamW opt = new AdamW(List.of(new AdamW.Group("all", params.stream().map(Parameter::getArray).toList(),
                    s.lr(), 0f)), 0.9f, 0.99f, 1e-8f);
            Progress progress = new Progress("toy train", s.steps(), log);
            progress.skip(start);
            long t0 = System.nanoTime();
            double emaLoss = Double.NaN;
            try (ToyBatchPrefetcher batches = new ToyBatchPrefetcher(this::draw, s.steps(), s.dataThreads())) {
                for (int step = start; step < s.steps(); step++) {
                    float lr = lr(step);
                    double loss;
                    double gradNorm;
                    try (NDScope scope = new NDScope()) {
                        ToyBatch b = batches.get(step).toArrays(world, manager);
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            NDArray text = model.textEncoder().forward(b.ids());
                            NDArray pred = model.transformer().forward(model.input(b.noisy()), b.timesteps(), text);
                            // The toy transformer predicts the clean sample (see ToyPipeline for why).
                            NDArray lossArr = loss(pred, b);
                            gc.zeroGradients();
                            gc.backward(lossArr);
                            loss = lossArr.getFloat();
                        }
                        // The update runs with autograd off (the collector is closed).
                        gradNorm = opt.step(lr / s.lr(), 1.0);
                    }
                    emaLoss = Double.isNaN(emaLoss) ? loss : 0.98 * emaLoss + 0.02 * loss;
                    double secs = (System.nanoTime() - t0) / 1e9;
                    Files.writeString(logCsv, String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6g,%.1f%n",
                            step + 1, loss, gradNorm, lr, secs), java.nio.file.StandardOpenOption.APPEND);
                    progress.step(String.format(Locale.ROOT, "loss %.4f (ema %.4f)", loss, emaLoss));
                    boolean last = step + 1 == s.steps();
                    if ((step + 1) % s.checkpointEvery() == 0 || last) {
                        for (Parameter p : params) {
                            p.getArray().setRequiresGradient(false);
                        }
                        model.save(ckpt, Map.of("step", String.valueOf(step + 1)));
                        Path stepTmp = ckpt.resolve("step.txt.tmp");
                        Files.writeString(stepTmp, String.valueOf(step + 1));
                        Files.move(stepTmp, ckpt.resolve("step.txt"), StandardCopyOption.ATOMIC_MOVE);
                        for (Parameter p : params) {
                            p.getArray().setRequiresGradient(true);
                        }
                    }
                }
            }
            for (Parameter p : params) {
                p.getArray().setRequiresGradient(false);
            }
            model.save(finalModelDir, Map.of("steps", String.valueOf(s.steps()), "seed", String.valueOf(s.seed())));
            Files.copy(logCsv, finalModelDir.resolve("training_log.csv"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Mean squared error of the x0 prediction; with an object weight k != 1, pixels that differ from the background
     * count k times (normalised by the mean weight, so the loss stays an MSE). Objects are about 8% of the pixels and
     * what a caption says about them (direction, speed, shape) pays off only there; weight 1 keeps the published
     * training's exact arithmetic.
     */
    private NDArray loss(NDArray pred, ToyBatch b) {
        NDArray error = pred.sub(b.x0()).square();
        if (s.objectWeight() == 1f) {
            return error.mean();
        }
        NDArray w = b.objectMask().mul(s.objectWeight() - 1f).add(1f);
        return error.mul(w).mean().div(w.mean());
    }

    private float lr(int step) {
        if (step < s.warmup()) {
            return s.lr() * (step + 1) / s.warmup();
        }
        double p = (step - s.warmup()) / (double) Math.max(1, s.steps() - s.warmup());
        return (float) (s.lr() * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * p))));
    }

    private ToyBatch.Host draw(int step) {
        Random rng = ToyBatch.rng(s.seed(), step);
        return ToyBatch.draw(world, vocab, s.batch(), rng, s.captionDropout(), s.sigmas());
    }
}

package dev.qvgen.harness.cli;

import dev.qvgen.harness.Djl;
import dev.qvgen.harness.toy.ToyTrainer;
import dev.qvgen.models.toy.ToyPipeline;
import dev.qvgen.models.toy.ToyVideoModel;
import dev.qvgen.suites.toy.ToyWorld;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** The toy world: train its full-precision text-to-video model. */
@Command(name = "toy", mixinStandardHelpOptions = true, description = "The toy video world.",
        subcommands = {ToyCommand.Train.class, ToyCommand.Generate.class, ToyCommand.Qat.class})
public final class ToyCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Train the toy model from scratch on CPU (resumable; reproduces the committed checkpoint).")
    public static final class Train implements Callable<Integer> {
        @Option(names = "--out", description = "Final model directory (default: ${DEFAULT-VALUE}).")
        Path out = Defaults.TOY_MODEL;

        @Option(names = "--work", description = "Checkpoints and log while training (default: ${DEFAULT-VALUE}).")
        Path work = Path.of("runs/toy-train");

        @Option(names = "--steps", description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
        int steps = ToyTrainer.Settings.defaults().steps();

        @Option(names = "--batch", description = "Videos per step (default: ${DEFAULT-VALUE}).")
        int batch = ToyTrainer.Settings.defaults().batch();

        @Option(names = "--seed", description = "Seed for initialisation and data (default: ${DEFAULT-VALUE}).")
        long seed = ToyTrainer.Settings.defaults().seed();

        @Option(names = "--heads", description = "Attention heads of 16 channels (width = 16 x heads; default: ${DEFAULT-VALUE}).")
        int heads = ToyTrainer.Settings.defaults().heads();

        @Option(names = "--head-dim", description = "Channels per attention head (default: ${DEFAULT-VALUE}).")
        int headDim = ToyTrainer.Settings.defaults().headDim();

        @Option(names = "--patch", description = "Pixel patch t,h,w (default: ${DEFAULT-VALUE}).")
        String patch = "2,4,4";

        @Option(names = "--sigmas", description = "Noise-level distribution: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
        dev.qvgen.harness.toy.ToyBatch.Sigmas sigmas = ToyTrainer.Settings.defaults().sigmas();

        @Option(names = "--object-weight", description = "Loss weight of object pixels against background ones (default: ${DEFAULT-VALUE}).")
        float objectWeight = ToyTrainer.Settings.defaults().objectWeight();

        @Option(names = "--lr", description = "Peak learning rate (default: 1e-3).")
        Float lr;

        @Option(names = "--layers", description = "Transformer blocks (default: ${DEFAULT-VALUE}).")
        int layers = ToyTrainer.Settings.defaults().layers();

        @Option(names = "--threads", description = "Intra-op threads (default: all cores).")
        int threads = Runtime.getRuntime().availableProcessors();

        @Option(names = "--coordinates", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "Give the transformer frame, row and column planes beside the pixels (in_channels 6, as "
                        + "Wan's image-to-video model takes its condition channels; default: ${DEFAULT-VALUE}; "
                        + "--no-coordinates: pixels alone).")
        boolean coordinates = ToyTrainer.Settings.defaults().coordinates();

        @Option(names = "--data-threads", description = "Threads that draw the coming steps' clips while a step "
                + "trains (the same data whatever the number; default: ${DEFAULT-VALUE}, on the training thread).")
        int dataThreads = ToyTrainer.Settings.defaults().dataThreads();

        @Option(names = "--device", defaultValue = "cpu", converter = DeviceConverter.class,
                description = "cpu or cuda:N (default: ${DEFAULT-VALUE}).")
        ai.djl.Device device;

        @Override
        public Integer call() throws Exception {
            if (dataThreads < 1) {
                throw new dev.qvgen.harness.BadInputException("--data-threads must be at least 1, got " + dataThreads);
            }
            if (steps < 1 || batch < 1 || heads < 1 || headDim < 1 || layers < 1) {
                throw new dev.qvgen.harness.BadInputException(
                        "--steps, --batch, --heads, --head-dim and --layers must be positive");
            }
            if (!(objectWeight > 0)) {
                throw new dev.qvgen.harness.BadInputException("--object-weight must be positive, got " + objectWeight);
            }
            if (lr != null && !(lr > 0)) {
                throw new dev.qvgen.harness.BadInputException("--lr must be positive, got " + lr);
            }
            int[] p = parsePatch(patch, ToyWorld.defaults());
            if (threads < 1) {
                throw new dev.qvgen.harness.BadInputException("--threads must be at least 1, got " + threads);
            }
            dev.qvgen.harness.run.OutputDir.create("--work", work);
            try (var lock = dev.qvgen.harness.run.RunLock.acquire(work, "toy train", System.err)) {
                return train(p);
            }
        }

        /** "t,h,w": three positive integers that divide the world's frames, height and width. */
        static int[] parsePatch(String text, ToyWorld world) {
            String[] parts = text.split(",", -1);
            int[] dims = {world.frames(), world.height(), world.width()};
            int[] p = new int[3];
            try {
                if (parts.length != 3) {
                    throw new NumberFormatException();
                }
                for (int i = 0; i < 3; i++) {
                    p[i] = Integer.parseInt(parts[i].trim());
                }
            } catch (NumberFormatException e) {
                throw new dev.qvgen.harness.BadInputException("--patch must be three integers t,h,w, got '" + text + "'");
            }
            for (int i = 0; i < 3; i++) {
                if (p[i] < 1 || dims[i] % p[i] != 0) {
                    throw new dev.qvgen.harness.BadInputException("--patch " + text + " does not divide the toy clip "
                            + world.frames() + "x" + world.height() + "x" + world.width() + " (frames x height x width)");
                }
            }
            return p;
        }

        private Integer train(int[] p) throws Exception {
            Djl.configure(threads);
            ToyTrainer.Settings d = ToyTrainer.Settings.defaults();
            ToyTrainer.Settings s = new ToyTrainer.Settings(steps, batch, lr == null ? d.lr() : lr, d.warmup(), seed,
                    d.captionDropout(), d.checkpointEvery(), heads, headDim, layers, p, sigmas,
                    objectWeight, dataThreads, coordinates);
            new ToyTrainer(ToyWorld.defaults(), s, System.out).onDevice(device).train(work, out);
            System.out.println("wrote " + out);
            return 0;
        }
    }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = "Generate one toy video from a caption (MP4, and optionally a PNG filmstrip).")
    public static final class Generate implements Callable<Integer> {
        @Option(names = "--model", description = "Toy model directory (default: ${DEFAULT-VALUE}).")
        Path model = Defaults.TOY_MODEL;

        @Option(names = "--prompt", required = true, description = "Caption, e.g. \"a red circle moves left slowly\".")
        String prompt;

        @Option(names = "--seed", description = "Noise seed (default: ${DEFAULT-VALUE}).")
        long seed = 0;

        @Option(names = "--steps", description = "Sampling steps (default: ${DEFAULT-VALUE}).")
        int steps = ToyPipeline.Settings.defaults().steps();

        @Option(names = "--guidance", description = "Guidance scale (default: ${DEFAULT-VALUE}).")
        float guidance = ToyPipeline.Settings.defaults().guidanceScale();

        @Option(names = "--out", required = true, description = "Output .mp4 file.")
        Path out;

        @Option(names = "--png", description = "Also write the frames side by side as a PNG.")
        Path png;

        @Option(names = "--device", defaultValue = "cpu", converter = DeviceConverter.class,
                description = "cpu or cuda:N (default: ${DEFAULT-VALUE}).")
        ai.djl.Device device;

        @Override
        public Integer call() throws Exception {
            Djl.configure(Runtime.getRuntime().availableProcessors());
            ToyWorld world = ToyWorld.defaults();
            int[] tok;
            try {
                dev.qvgen.suites.toy.ToyScene.parse(prompt);
                tok = new dev.qvgen.suites.toy.ToyVocabulary().encode(prompt, dev.qvgen.suites.toy.ToyVocabulary.DEFAULT_MAX_LENGTH);
            } catch (IllegalArgumentException e) {
                throw new dev.qvgen.harness.BadInputException("--prompt: " + e.getMessage());
            }
            long[] ids = java.util.Arrays.stream(tok).asLongStream().toArray();
            try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(device)) {
                ToyVideoModel tm = ToyVideoModel.load(model, m);
                ToyPipeline pipe = new ToyPipeline(tm, world.frames(), world.height(), world.width());
                float[][][][] video = pipe.generate(m, java.util.List.of(ids), java.util.List.of(seed),
                        new ToyPipeline.Settings(steps, guidance, ToyPipeline.Settings.defaults().shift()))[0];
                dev.qvgen.video.Mp4Writer.write(out, video, world.fps());
                if (png != null) {
                    dev.qvgen.harness.toy.Filmstrip.write(png, video, 4);
                }
            }
            System.out.println("wrote " + out + (png == null ? "" : " and " + png));
            return 0;
        }
    }

    @Command(name = "qat", mixinStandardHelpOptions = true,
            description = "Quantization-aware training of the toy model (QVGen or LSQ) by distillation from the "
                    + "full-precision model; writes the training log and the packed export. Resumes in --out.")
    public static final class Qat implements Callable<Integer> {
        @Option(names = "--model", description = "Full-precision toy model (default: ${DEFAULT-VALUE}).")
        Path model = Defaults.TOY_MODEL;

        @Option(names = "--method", description = "A QAT method of the methods registry (default: ${DEFAULT-VALUE}).")
        String method = "qvgen";

        @Option(names = "--bits", description = "Bit widths, e.g. w4a4 (default: ${DEFAULT-VALUE}).")
        String bits = "w3a3";

        @Option(names = "--steps", description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
        int steps = dev.qvgen.harness.study.QatRecipe.toy().steps();

        @Option(names = "--batch", description = "Videos per step (default: ${DEFAULT-VALUE}).")
        int batch = dev.qvgen.harness.study.QatRecipe.toy().batch();

        @Option(names = "--lr-scale", description = "Multiple of the official learning rates (default: ${DEFAULT-VALUE}).")
        float lrScale = dev.qvgen.harness.study.QatRecipe.toy().lrScale();

        @Option(names = "--loss", description = "distillation, diffusion or mimicking (default: the method's own; "
                + "QVGen's is distillation).")
        dev.qvgen.quantizer.qat.QatTrainer.Loss loss;

        @Option(names = "--out", required = true, description = "Work directory (log.csv, state, quantized.safetensors).")
        Path out;

        @Option(names = "--threads", description = "Intra-op threads (default: all cores).")
        int threads = Runtime.getRuntime().availableProcessors();

        @Option(names = "--device", defaultValue = "cpu", converter = DeviceConverter.class,
                description = "cpu or cuda:N (default: ${DEFAULT-VALUE}).")
        ai.djl.Device target;

        @Override
        public Integer call() throws Exception {
            java.util.List<String> qatMethods = dev.qvgen.quantizer.Methods.names().stream()
                    .filter(n -> dev.qvgen.quantizer.Methods.get(n).isQat()).toList();
            if (!qatMethods.contains(method)) {
                throw new dev.qvgen.harness.BadInputException("--method must be a QAT method (" + String.join(", ",
                        qatMethods) + "), got '" + method + "'");
            }
            if (steps < 1 || batch < 1) {
                throw new dev.qvgen.harness.BadInputException("--steps and --batch must be positive");
            }
            if (threads < 1) {
                throw new dev.qvgen.harness.BadInputException("--threads must be at least 1, got " + threads);
            }
            dev.qvgen.quantizer.QuantSpec spec;
            try {
                spec = dev.qvgen.quantizer.QuantSpec.parse(bits);
            } catch (IllegalArgumentException e) {
                throw new dev.qvgen.harness.BadInputException(e.getMessage());
            }
            if (!java.nio.file.Files.isDirectory(model)) {
                throw new dev.qvgen.harness.BadInputException(model + ": checkpoint directory not found");
            }
            dev.qvgen.harness.run.OutputDir.create("--out", out);
            try (var lock = dev.qvgen.harness.run.RunLock.acquire(out, "toy qat", System.err)) {
                return train(spec);
            }
        }

        private Integer train(dev.qvgen.quantizer.QuantSpec spec) throws Exception {
            Djl.configure(threads);
            var s = dev.qvgen.harness.study.QatRecipe.toy().withSteps(steps, batch).withLoss(loss).withLrScale(lrScale);
            long t0 = System.nanoTime();
            var toy = new dev.qvgen.harness.toy.ToyStudyModel(dev.qvgen.suites.toy.ToyWorld.defaults(), model, 1);
            Path export = new dev.qvgen.harness.study.QatArm(toy, s, System.out).onDevice(target)
                    .trainAndExport(method, spec, out);
            System.out.printf(java.util.Locale.ROOT, "qat on %s: %.1f s; memory in use %.2f GiB%n", target,
                    (System.nanoTime() - t0) / 1e9, dev.qvgen.harness.profile.Devices.memoryInUse(target) / (double) (1L << 30));
            System.out.println("wrote " + export);
            return 0;
        }
    }
}

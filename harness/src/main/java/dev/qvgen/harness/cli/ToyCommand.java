package dev.qvgen.harness.cli;

import dev.qvgen.harness.Djl;
import dev.qvgen.harness.toy.ToyTrainer;
import dev.qvgen.suites.toy.ToyWorld;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** The toy world: train its full-precision text-to-video model. */
@Command(name = "toy", mixinStandardHelpOptions = true, description = "The toy video world.",
        subcommands = {ToyCommand.Train.class})
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

        @Option(names = "--threads", description = "Intra-op threads (default: all cores).")
        int threads = Runtime.getRuntime().availableProcessors();

        @Override
        public Integer call() throws Exception {
            Djl.configure(threads);
            ToyTrainer.Settings d = ToyTrainer.Settings.defaults();
            ToyTrainer.Settings s = new ToyTrainer.Settings(steps, batch, d.lr(), d.warmup(), seed,
                    d.captionDropout(), d.checkpointEvery());
            new ToyTrainer(ToyWorld.defaults(), s, System.out).train(work, out);
            System.out.println("wrote " + out);
            return 0;
        }
    }
}

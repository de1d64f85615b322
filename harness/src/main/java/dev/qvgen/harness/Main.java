package dev.qvgen.harness;

import dev.qvgen.harness.cli.CalibrateCommand;
import dev.qvgen.harness.cli.DataCommand;
import dev.qvgen.harness.cli.EvaluateCommand;
import dev.qvgen.harness.cli.GateCommand;
import dev.qvgen.harness.cli.GenerateCommand;
import dev.qvgen.harness.cli.MergeCommand;
import dev.qvgen.harness.cli.ParityCommand;
import dev.qvgen.harness.cli.PlanCommand;
import dev.qvgen.harness.cli.QatCommand;
import dev.qvgen.harness.cli.QatTeacherCommand;
import dev.qvgen.harness.cli.ProfileCommand;
import dev.qvgen.harness.cli.ReproduceCommand;
import dev.qvgen.harness.cli.ToyCommand;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code qvgen} command line. */
@Command(
        name = "qvgen",
        mixinStandardHelpOptions = true,
        version = "qvgen 0.1.0",
        description = "Benchmark and evaluation harness for low-bit video diffusion models (QVGen).",
        subcommands = {ReproduceCommand.class, GenerateCommand.class, EvaluateCommand.class, ParityCommand.class,
                ToyCommand.class, PlanCommand.class, MergeCommand.class, GateCommand.class, ProfileCommand.class,
                DataCommand.class, QatCommand.class, QatTeacherCommand.class, CalibrateCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code: 0 ok, 1 failed check, 2 bad input. */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler(new BadInputHandler());
        cli.setParameterExceptionHandler(new BadInputHandler());
        return cli.execute(args);
    }
}

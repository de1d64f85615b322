package dev.qvgen.harness.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "reproduce", mixinStandardHelpOptions = true, description = "Run the study (default: the toy world).")
public final class ReproduceCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return 0;
    }
}

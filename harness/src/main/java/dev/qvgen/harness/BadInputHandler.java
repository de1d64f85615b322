package dev.qvgen.harness;

import dev.qvgen.models.io.CheckpointException;

import picocli.CommandLine;

/**
 * Turns bad input into one line on stderr and exit code 2: unknown flags, missing or corrupt
 * checkpoints, unreadable files. Anything else is a bug and keeps its stack trace (exit 1).
 */
final class BadInputHandler implements CommandLine.IExecutionExceptionHandler, CommandLine.IParameterExceptionHandler {
    static final int BAD_INPUT = 2;

    @Override
    public int handleParseException(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        cmd.getErr().println("qvgen: " + ex.getMessage() + " (see '" + cmd.getCommandSpec().qualifiedName()
                + " --help')");
        return BAD_INPUT;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parseResult) {
        if (isBadInput(ex)) {
            cmd.getErr().println("qvgen: " + oneLine(ex.getMessage()));
            return BAD_INPUT;
        }
        throw new RuntimeException(ex);
    }

    static boolean isBadInput(Throwable ex) {
        return ex instanceof CheckpointException || ex instanceof BadInputException
                || ex instanceof java.nio.file.NoSuchFileException;
    }

    private static String oneLine(String s) {
        return s == null ? "bad input" : s.replaceAll("\\s*\\R\\s*", " ");
    }
}

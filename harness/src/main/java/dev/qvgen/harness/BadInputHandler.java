package dev.qvgen.harness;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.IoErrors;

import picocli.CommandLine;

import java.io.IOException;
import java.io.UncheckedIOException;

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
            cmd.getErr().println("qvgen: " + oneLine(message(ex)));
            return BAD_INPUT;
        }
        throw new RuntimeException(ex);
    }

    /**
     * Bad input: our own, a checkpoint's, and every file-system error (a missing or unwritable
     * path, a full disk, a read-only mount): the user fixes those, and they get the path and the
     * operating system's reason, not a stack trace.
     */
    static boolean isBadInput(Throwable ex) {
        return ex instanceof CheckpointException || ex instanceof BadInputException || ex instanceof IOException
                || ex instanceof dev.qvgen.layers.dist.DistException
                || ex instanceof UncheckedIOException;
    }

    private static String message(Throwable ex) {
        if (ex instanceof UncheckedIOException u && u.getCause() != null
                && (u.getMessage() == null || u.getMessage().equals(String.valueOf(u.getCause())))) {
            return IoErrors.describe(u.getCause(), null);
        }
        if (ex instanceof IOException io) {
            // a FileSystemException's message is often the bare path: add the OS's reason
            return io.getClass() == IOException.class ? io.getMessage() : IoErrors.describe(io, null);
        }
        return ex.getMessage();
    }

    private static String oneLine(String s) {
        return s == null ? "bad input" : s.replaceAll("\\s*\\R\\s*", " ");
    }
}

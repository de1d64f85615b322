package dev.qvgen.reports.gate;

import dev.qvgen.reports.ResultRow;
import dev.qvgen.reports.ResultsCsv;
import dev.qvgen.reports.ResultsJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Reads a result set: a run directory, or its results.csv or results.json. */
public final class ResultSets {
    private ResultSets() {}

    /**
     * A directory means its results.csv, or its results.json when it has no CSV; a file is read
     * by its extension.
     *
     * @throws GateInputException one line naming the path and the problem
     */
    public static List<ResultRow> read(Path path) {
        Path file = path;
        if (Files.isDirectory(path)) {
            file = path.resolve("results.csv");
            if (!Files.exists(file)) {
                file = path.resolve("results.json");
            }
            if (!Files.exists(file)) {
                throw new GateInputException(path + ": no results.csv or results.json in this directory");
            }
        } else if (!Files.exists(path)) {
            throw new GateInputException(path + ": not found");
        }
        String name = file.getFileName().toString();
        try {
            if (name.endsWith(".csv")) {
                return ResultsCsv.read(file);
            }
            if (name.endsWith(".json")) {
                return ResultsJson.read(file).rows();
            }
        } catch (IllegalArgumentException e) {
            throw new GateInputException(e.getMessage(), e);
        } catch (IOException e) {
            throw new GateInputException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        throw new GateInputException(file + ": not a results file (expected results.csv or results.json)");
    }
}

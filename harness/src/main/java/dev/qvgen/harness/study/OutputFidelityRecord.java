package dev.qvgen.harness.study;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.reports.AtomicFiles;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An arm's measured {@link OutputFidelity}, {@code videos/<arm>/output_fidelity.csv}: one row per
 * video file name (the key the study already uses to know a video is finished) and its value. A
 * rerun measures only the samples it lacks; the scoring pass reads it back into the rows. It lives
 * in the arm's video folder, so {@code --restart-changed} drops it with the videos it describes.
 */
final class OutputFidelityRecord {
    static final String FILE = "output_fidelity.csv";
    private static final List<String> HEADER = List.of("video", OutputFidelity.NAME);
    private static final CSVFormat WRITE = CSVFormat.DEFAULT.builder().setRecordSeparator("\n").get();
    private static final CSVFormat READ = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get();

    private OutputFidelityRecord() {}

    /** The record of the arm whose videos are in {@code videoDir}. */
    static Path in(Path videoDir) {
        return videoDir.resolve(FILE);
    }

    /**
     * Video file name to value; empty when the file does not exist (an arm not measured yet, or a run
     * made before the dimension was recorded).
     *
     * @throws BadInputException naming the file and line when it cannot be read
     */
    static Map<String, Double> read(Path file) throws IOException {
        Map<String, Double> values = new LinkedHashMap<>();
        if (!Files.exists(file)) {
            return values;
        }
        String fix = " (delete it to measure the arm again)";
        try (CSVParser parser = READ.parse(new StringReader(Files.readString(file)))) {
            if (!parser.getHeaderNames().equals(HEADER)) {
                throw new BadInputException(file + ":1: expected the header " + String.join(",", HEADER) + ", found "
                        + String.join(",", parser.getHeaderNames()) + fix);
            }
            for (CSVRecord r : parser) {
                String where = file + ":" + parser.getCurrentLineNumber() + ": ";
                if (r.size() != HEADER.size()) {
                    throw new BadInputException(where + "expected 2 cells, found " + r.size() + fix);
                }
                double v;
                try {
                    v = Double.parseDouble(r.get(1));
                } catch (NumberFormatException e) {
                    throw new BadInputException(where + "'" + r.get(1) + "' is not a number" + fix);
                }
                if (!Double.isFinite(v) || v > OutputFidelity.FULL_PRECISION) {
                    throw new BadInputException(where + r.get(1) + " is not a fidelity (a finite number at most 1)"
                            + fix);
                }
                values.put(r.get(0), v);
            }
        } catch (UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
            throw new BadInputException(file + ": unreadable CSV (" + e.getMessage() + ")" + fix);
        }
        return values;
    }

    /** Writes all of {@code values} at once: a reader sees the old record or the new one. */
    static void write(Path file, Map<String, Double> values) throws IOException {
        AtomicFiles.write(file, out -> {
            CSVPrinter printer = new CSVPrinter(out, WRITE);
            printer.printRecord(HEADER);
            for (Map.Entry<String, Double> e : values.entrySet()) {
                // Double.toString is the shortest text that parses back to the same double.
                printer.printRecord(e.getKey(), Double.toString(e.getValue()));
            }
            printer.flush();
        });
    }
}

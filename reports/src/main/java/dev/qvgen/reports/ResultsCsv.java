package dev.qvgen.reports;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;
import org.apache.commons.csv.DuplicateHeaderMode;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * {@code results.csv}: one row per video; the fixed columns, then one column per metric name in
 * sorted order. An empty metric cell means the video has no score for it; an empty error cell
 * means no error.
 */
public final class ResultsCsv {
    public static final List<String> FIXED_COLUMNS =
            List.of("method", "bits", "prompt_index", "prompt", "seed", "video", "error");

    // "\n" rather than CSV's default "\r\n": the file is read by people and diffed in git more than by Excel.
    private static final CSVFormat WRITE = CSVFormat.DEFAULT.builder().setRecordSeparator("\n").get();
    // DEFAULT accepts a repeated column name; a repeated metric would silently lose one of its columns.
    private static final CSVFormat READ = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true)
            .setDuplicateHeaderMode(DuplicateHeaderMode.DISALLOW).get();

    private ResultsCsv() {}

    public static void write(Path file, List<ResultRow> rows) throws IOException {
        TreeSet<String> metrics = new TreeSet<>();
        rows.forEach(r -> metrics.addAll(r.scores().keySet()));
        List<String> header = new ArrayList<>(FIXED_COLUMNS);
        header.addAll(metrics);
        AtomicFiles.write(file, out -> {
            CSVPrinter printer = new CSVPrinter(out, WRITE);
            printer.printRecord(header);
            for (ResultRow r : rows) {
                List<Object> cells = new ArrayList<>(List.of(r.method(), r.bits(), r.promptIndex(), r.prompt(),
                        r.seed(), r.video(), r.error() == null ? "" : r.error()));
                for (String m : metrics) {
                    Double v = r.scores().get(m);
                    // Double.toString is the shortest text that parses back to the same double.
                    cells.add(v == null ? "" : Double.toString(v));
                }
                printer.printRecord(cells);
            }
            printer.flush();
        });
    }

    /**
     * Reads a file written by {@link #write}.
     *
     * @throws IllegalArgumentException one line naming the file (and the line, for a bad row)
     */
    public static List<ResultRow> read(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        LineIndex lines = new LineIndex(text);
        CSVParser parser;
        try {
            parser = READ.parse(new StringReader(text));
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new IllegalArgumentException(file + ":1: bad header (" + oneLine(e.getMessage()) + ")", e);
        }
        try (parser) {
            List<String> header = parser.getHeaderNames();
            checkHeader(file, header);
            List<String> metrics = header.subList(FIXED_COLUMNS.size(), header.size());
            List<ResultRow> rows = new ArrayList<>();
            var records = parser.iterator();
            while (true) {
                CSVRecord rec;
                try {
                    if (!records.hasNext()) {
                        break;
                    }
                    rec = records.next();
                } catch (UncheckedIOException | IllegalStateException e) {
                    throw new IllegalArgumentException(file + ":" + parser.getCurrentLineNumber() + ": unreadable CSV ("
                            + oneLine(e.getMessage()) + ")", e);
                }
                rows.add(row(file, lines.lineOf(rec.getCharacterPosition()), rec, header.size(), metrics));
            }
            return rows;
        }
    }

    private static void checkHeader(Path file, List<String> header) {
        boolean fixedOk = header.size() >= FIXED_COLUMNS.size()
                && header.subList(0, FIXED_COLUMNS.size()).equals(FIXED_COLUMNS);
        List<String> metrics = fixedOk ? header.subList(FIXED_COLUMNS.size(), header.size()) : List.of();
        boolean metricsOk = metrics.stream().noneMatch(m -> m.isBlank() || FIXED_COLUMNS.contains(m));
        if (!fixedOk || !metricsOk) {
            throw new IllegalArgumentException(file + ":1: bad header " + header + " (expected "
                    + String.join(",", FIXED_COLUMNS) + " followed by one column per metric name)");
        }
    }

    private static ResultRow row(Path file, long line, CSVRecord rec, int columns, List<String> metrics) {
        String where = file + ":" + line + ": ";
        if (rec.size() != columns) {
            throw new IllegalArgumentException(where + "expected " + columns + " cells, found " + rec.size());
        }
        Map<String, Double> scores = new HashMap<>();
        for (String m : metrics) {
            String v = rec.get(m);
            if (!v.isEmpty()) {
                scores.put(m, number(where, m, v, Double::parseDouble));
            }
        }
        for (String required : List.of("method", "bits", "video")) {
            if (rec.get(required).isBlank()) {
                throw new IllegalArgumentException(where + "column " + required + " is empty");
            }
        }
        return new ResultRow(rec.get("method"), rec.get("bits"),
                number(where, "prompt_index", rec.get("prompt_index"), Integer::parseInt), rec.get("prompt"),
                number(where, "seed", rec.get("seed"), Long::parseLong), rec.get("video"), scores, rec.get("error"));
    }

    private static <T> T number(String where, String column, String cell, Function<String, T> parse) {
        try {
            return parse.apply(cell.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + "column " + column + ": '" + oneLine(cell) + "' is not a number",
                    e);
        }
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ");
    }

    /** Maps a character offset to its 1-based line, so errors point at the row even after multi-line cells. */
    private static final class LineIndex {
        private final int[] lineStarts;

        LineIndex(String text) {
            List<Integer> starts = new ArrayList<>(List.of(0));
            for (int i = 0; i < text.length(); i++) {
                if (text.charAt(i) == '\n') {
                    starts.add(i + 1);
                }
            }
            lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
        }

        long lineOf(long offset) {
            int i = Arrays.binarySearch(lineStarts, (int) offset);
            return (i >= 0 ? i : -i - 2) + 1;
        }
    }
}

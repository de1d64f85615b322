package dev.qvgen.reports;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** {@code results.csv}: one row per video, fixed columns then one column per metric (sorted). */
public final class ResultsCsv {
    static final List<String> FIXED = List.of("method", "bits", "prompt_index", "prompt", "seed", "video", "error");

    private ResultsCsv() {}

    public static void write(Path file, List<ResultRow> rows) throws IOException {
        TreeSet<String> metrics = new TreeSet<>();
        rows.forEach(r -> metrics.addAll(r.scores().keySet()));
        List<String> header = new ArrayList<>(FIXED);
        header.addAll(metrics);
        StringWriter out = new StringWriter();
        try (CSVPrinter p = new CSVPrinter(out, CSVFormat.DEFAULT.builder()
                .setHeader(header.toArray(String[]::new)).setRecordSeparator("\n").get())) {
            for (ResultRow r : rows) {
                List<Object> cells = new ArrayList<>(List.of(r.method(), r.bits(), r.promptIndex(), r.prompt(),
                        r.seed(), r.video(), r.error() == null ? "" : r.error()));
                for (String m : metrics) {
                    Double v = r.scores().get(m);
                    cells.add(v == null ? "" : Double.toString(v));
                }
                p.printRecord(cells);
            }
        }
        AtomicFiles.writeString(file, out.toString());
    }

    public static List<ResultRow> read(Path file) throws IOException {
        try (Reader in = Files.newBufferedReader(file);
                CSVParser parser = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(in)) {
            List<String> header = parser.getHeaderNames();
            if (header.size() < FIXED.size() || !header.subList(0, FIXED.size()).equals(FIXED)) {
                throw new IllegalArgumentException(file + ": bad header " + header + " (expected it to start with "
                        + FIXED + ")");
            }
            List<ResultRow> rows = new ArrayList<>();
            for (CSVRecord rec : parser) {
                try {
                    Map<String, Double> scores = new LinkedHashMap<>();
                    for (String m : header.subList(FIXED.size(), header.size())) {
                        String v = rec.get(m);
                        if (!v.isEmpty()) {
                            scores.put(m, Double.parseDouble(v));
                        }
                    }
                    String error = rec.get("error");
                    rows.add(new ResultRow(rec.get("method"), rec.get("bits"), Integer.parseInt(rec.get("prompt_index")),
                            rec.get("prompt"), Long.parseLong(rec.get("seed")), rec.get("video"), scores,
                            error.isEmpty() ? null : error));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException(file + ":" + (rec.getRecordNumber() + 1) + ": bad row ("
                            + e.getMessage() + ")");
                }
            }
            return rows;
        }
    }
}

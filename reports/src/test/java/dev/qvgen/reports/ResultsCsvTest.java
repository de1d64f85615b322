package dev.qvgen.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

class ResultsCsvTest {
    @TempDir
    Path tmp;

    @Test
    void roundTripKeepsMissingScoresErrorsAndAwkwardPrompts() throws IOException {
        List<ResultRow> rows = new ArrayList<>(Fixtures.ROWS);
        rows.add(new ResultRow("qvgen", "w4a4", 7, "über\nzwei Zeilen, \"ja\"", Long.MIN_VALUE, "videos/q/ü.mp4",
                Map.of("m1", 1e-17, "m3", -0.1234567890123), null));
        Path f = tmp.resolve("results.csv");
        ResultsCsv.write(f, rows);
        assertEquals(rows, ResultsCsv.read(f));
    }

    @Test
    void writesFixedColumnsThenSortedMetricsAndEmptyCellsForMissing() throws IOException {
        Path f = tmp.resolve("results.csv");
        ResultsCsv.write(f, Fixtures.ROWS);
        List<String> lines = Files.readAllLines(f);
        assertEquals("method,bits,prompt_index,prompt,seed,video,error,m1,m2", lines.get(0));
        assertTrue(lines.get(2).endsWith(",,0.5,"), lines.get(2));
        assertEquals(1 + Fixtures.ROWS.size(), lines.size());
    }

    @Test
    void rejectsWrongHeaderNamingTheFile() throws IOException {
        Path f = tmp.resolve("bad.csv");
        Files.writeString(f, "name,score\nx,1\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ResultsCsv.read(f));
        assertTrue(e.getMessage().startsWith(f + ":1: bad header"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void rejectsDuplicateMetricColumnNamingTheFile() throws IOException {
        Path f = tmp.resolve("dup.csv");
        Files.writeString(f, String.join(",", ResultsCsv.FIXED_COLUMNS) + ",m1,m1\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ResultsCsv.read(f));
        assertTrue(e.getMessage().startsWith(f + ":1: bad header"), e.getMessage());
    }

    @Test
    void badRowErrorNamesFileAndLineCountingMultiLinePrompts() throws IOException {
        Path f = tmp.resolve("row.csv");
        String header = String.join(",", ResultsCsv.FIXED_COLUMNS) + ",m1\n";
        // Line 2 holds a prompt spanning lines 2-3, so the bad row starts on line 4.
        Files.writeString(f, header + "fp,fp16,0,\"two\nlines\",0,v.mp4,,1\nfp,fp16,1,p,0,v.mp4,,notanumber\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ResultsCsv.read(f));
        assertTrue(e.getMessage().startsWith(f + ":4: column m1"), e.getMessage());
    }

    @Test
    void rejectsRowWithWrongNumberOfCells() throws IOException {
        Path f = tmp.resolve("short.csv");
        Files.writeString(f, String.join(",", ResultsCsv.FIXED_COLUMNS) + ",m1\nfp,fp16,0,p,0,v.mp4,,1,extra\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ResultsCsv.read(f));
        assertTrue(e.getMessage().startsWith(f + ":2: expected 8 cells, found 9"), e.getMessage());
    }

    @Test
    void overwritesAtomicallyLeavingNoTemporaryFile() throws IOException {
        Path f = tmp.resolve("results.csv");
        ResultsCsv.write(f, Fixtures.ROWS);
        ResultsCsv.write(f, Fixtures.ROWS.subList(0, 1));
        assertEquals(Fixtures.ROWS.subList(0, 1), ResultsCsv.read(f));
        assertEquals(List.of(f), Files.list(tmp).toList());
    }
}

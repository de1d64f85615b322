package dev.qvgen.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

class ResultsJsonTest {
    @TempDir
    Path tmp;

    private final List<Summary> summary = Summary.of(Fixtures.ROWS, List.of("m1", "m2", "absent"));
    private final ResultsJson.Contents contents = new ResultsJson.Contents("run-1",
            Instant.parse("2025-05-16T12:34:56Z"), Fixtures.ROWS, summary);

    @Test
    void roundTripKeepsRowsSummaryAndMissingStatistics() throws IOException {
        Path f = tmp.resolve("results.json");
        ResultsJson.write(f, contents);
        ResultsJson.Contents back = ResultsJson.read(f);
        assertEquals(contents, back);
        // rtn has one m1 value: its standard error does not exist and must stay NaN, not become 0.
        assertTrue(Double.isNaN(back.summary().get(1).stats().get("m1").stdErr()));
    }

    @Test
    void writesSnakeCaseKeysIsoTimeAndNullForMissingNumbers() throws IOException {
        Path f = tmp.resolve("results.json");
        ResultsJson.write(f, contents);
        JsonObject o = JsonParser.parseString(Files.readString(f)).getAsJsonObject();
        assertEquals("run-1", o.get("run_id").getAsString());
        assertEquals("2025-05-16T12:34:56Z", o.get("created").getAsString());
        assertEquals(1, o.getAsJsonArray("rows").get(1).getAsJsonObject().get("prompt_index").getAsInt());
        JsonObject absent = o.getAsJsonArray("summary").get(0).getAsJsonObject().getAsJsonObject("stats")
                .getAsJsonObject("absent");
        assertTrue(absent.get("mean").isJsonNull() && absent.get("std_err").isJsonNull(), absent.toString());
        assertEquals(0, absent.get("n").getAsInt());
    }

    @Test
    void rejectsFileWithoutRowsNamingIt() throws IOException {
        Path f = tmp.resolve("bad.json");
        Files.writeString(f, "{\"run_id\": \"x\", \"created\": \"2025-01-01T00:00:00Z\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ResultsJson.read(f));
        assertTrue(e.getMessage().startsWith(f + ": bad results file (no \"rows\")"), e.getMessage());
    }

    @Test
    void rejectsMalformedJsonNamingTheFile() throws IOException {
        Path f = tmp.resolve("broken.json");
        Files.writeString(f, "{\"run_id\": \"x\",\n \"rows\": [");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ResultsJson.read(f));
        assertTrue(e.getMessage().startsWith(f + ": bad results file"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }
}

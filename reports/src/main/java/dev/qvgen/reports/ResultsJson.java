package dev.qvgen.reports;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.reflect.TypeToken;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code results.json}: run id, rows and the per-group summary. */
public final class ResultsJson {
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
            .disableHtmlEscaping().create();

    private ResultsJson() {}

    public static void write(Path file, String runId, List<ResultRow> rows, List<Summary> summary) throws IOException {
        JsonObject o = new JsonObject();
        o.addProperty("run_id", runId);
        o.add("rows", GSON.toJsonTree(rows));
        JsonArray s = GSON.toJsonTree(summary).getAsJsonArray();
        o.add("summary", s);
        AtomicFiles.writeString(file, GSON.toJson(o) + "\n");
    }

    public static List<ResultRow> readRows(Path file) throws IOException {
        JsonObject o = GSON.fromJson(Files.readString(file), JsonObject.class);
        if (o == null || !o.has("rows")) {
            throw new IllegalArgumentException(file + ": no \"rows\" array");
        }
        return GSON.fromJson(o.get("rows"), new TypeToken<List<ResultRow>>() { }.getType());
    }
}

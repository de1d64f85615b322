package dev.qvgen.reports;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.TypeAdapter;
import com.google.gson.reflect.TypeToken;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Objects;

/**
 * {@code results.json}: {@code {"run_id", "created" (ISO-8601), "rows": [...], "summary": [...]}}.
 * Keys are snake_case like the CSV columns; a statistic that does not exist (the mean of no
 * values, the standard error of one) is written as null, since JSON has no NaN.
 */
public final class ResultsJson {
    /** The content of one results.json. */
    public record Contents(String runId, Instant created, List<ResultRow> rows, List<Summary> summary) {
        public Contents {
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(created, "created");
            rows = List.copyOf(rows);
            summary = List.copyOf(summary);
        }
    }

    private static final Gson GSON = new GsonBuilder()
            .setPrettyPrinting()
            .disableHtmlEscaping()
            // Without it a missing mean would vanish from the file and read back as 0.0.
            .serializeNulls()
            .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
            .registerTypeAdapter(double.class, new NonFiniteAsNull())
            .registerTypeAdapter(Double.class, new NonFiniteAsNull())
            .create();
    private static final TypeToken<List<ResultRow>> ROWS = new TypeToken<>() { };
    private static final TypeToken<List<Summary>> SUMMARY = new TypeToken<>() { };

    private ResultsJson() {}

    public static void write(Path file, Contents contents) throws IOException {
        JsonObject o = new JsonObject();
        o.addProperty("run_id", contents.runId());
        o.addProperty("created", contents.created().toString());
        o.add("rows", GSON.toJsonTree(contents.rows(), ROWS.getType()));
        o.add("summary", GSON.toJsonTree(contents.summary(), SUMMARY.getType()));
        AtomicFiles.write(file, out -> {
            GSON.toJson(o, out);
            out.write('\n');
        });
    }

    /**
     * Reads a file written by {@link #write}.
     *
     * @throws IllegalArgumentException one line naming the file and what is wrong with it
     */
    public static Contents read(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        try {
            JsonElement root = GSON.fromJson(text, JsonElement.class);
            if (root == null || !root.isJsonObject()) {
                throw new IllegalArgumentException("not a JSON object");
            }
            JsonObject o = root.getAsJsonObject();
            for (String key : List.of("run_id", "created", "rows")) {
                if (!o.has(key) || o.get(key).isJsonNull()) {
                    throw new IllegalArgumentException("no \"" + key + "\"");
                }
            }
            List<ResultRow> rows = GSON.fromJson(o.get("rows"), ROWS);
            List<Summary> summary = o.has("summary") ? GSON.fromJson(o.get("summary"), SUMMARY) : List.of();
            return new Contents(o.get("run_id").getAsString(), Instant.parse(o.get("created").getAsString()), rows,
                    summary);
        } catch (JsonParseException | DateTimeParseException | IllegalArgumentException | IllegalStateException
                | NullPointerException e) {
            // Gson reports a null required field (method, prompt, ...) as the record constructor's NPE.
            throw new IllegalArgumentException(file + ": bad results file ("
                    + String.valueOf(e.getMessage()).replaceAll("\\s*\\R\\s*", " ") + ")", e);
        }
    }

    /** Writes NaN and infinities as null and reads null back as NaN. */
    private static final class NonFiniteAsNull extends TypeAdapter<Double> {
        @Override
        public void write(JsonWriter out, Double value) throws IOException {
            if (value == null || !Double.isFinite(value)) {
                out.nullValue();
            } else {
                out.value(value.doubleValue());
            }
        }

        @Override
        public Double read(JsonReader in) throws IOException {
            if (in.peek() == JsonToken.NULL) {
                in.nextNull();
                return Double.NaN;
            }
            return in.nextDouble();
        }
    }
}

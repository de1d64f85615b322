package dev.qvgen.harness.data;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.reports.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code manifest.json} of a prepared latent dataset: what was encoded and how, per-sample shapes,
 * the shards in sample order and the videos that were skipped with their reasons. Written last and
 * atomically, so a folder with a manifest is complete.
 */
public record LatentManifest(JsonObject settings, long[] latentShape, long[] textShape, List<Shard> shards,
        int samples, List<Skipped> skipped) {
    public static final String FORMAT = "qvgen-latents-v1";
    public static final String FILE = "manifest.json";
    public static final String EMPTY_TEXT_FILE = "empty_text.safetensors";

    /** One shard file: {@code count} samples, the first being sample {@code firstIndex} of the dataset. */
    public record Shard(String file, int count, int firstIndex) {}

    public record Skipped(String video, String reason) {}

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    public void write(Path dir) throws IOException {
        JsonObject o = new JsonObject();
        o.addProperty("format", FORMAT);
        settings.entrySet().forEach(e -> o.add(e.getKey(), e.getValue()));
        o.add("latent_shape", longs(latentShape));
        o.add("text_shape", longs(textShape));
        o.addProperty("empty_text", EMPTY_TEXT_FILE);
        JsonArray sh = new JsonArray();
        for (Shard s : shards) {
            JsonObject j = new JsonObject();
            j.addProperty("file", s.file());
            j.addProperty("count", s.count());
            j.addProperty("first_index", s.firstIndex());
            sh.add(j);
        }
        o.add("shards", sh);
        o.addProperty("samples", samples);
        JsonArray sk = new JsonArray();
        for (Skipped s : skipped) {
            JsonObject j = new JsonObject();
            j.addProperty("video", s.video());
            j.addProperty("reason", s.reason());
            sk.add(j);
        }
        o.add("skipped", sk);
        AtomicFiles.writeString(dir.resolve(FILE), GSON.toJson(o) + "\n");
    }

    /** Reads and checks {@code dir/manifest.json}; any problem is one line naming the file. */
    public static LatentManifest read(Path dir) {
        Path file = dir.resolve(FILE);
        JsonObject o;
        try {
            o = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": not found (run 'qvgen data prepare' to completion first)");
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read (" + e.getMessage() + ")");
        } catch (RuntimeException e) {
            throw new BadInputException(file + ": not a JSON object");
        }
        try {
            String format = o.get("format").getAsString();
            if (!FORMAT.equals(format)) {
                throw new BadInputException(file + ": format is " + format + ", expected " + FORMAT);
            }
            List<Shard> shards = new ArrayList<>();
            int next = 0;
            for (JsonElement e : o.getAsJsonArray("shards")) {
                JsonObject j = e.getAsJsonObject();
                Shard s = new Shard(j.get("file").getAsString(), j.get("count").getAsInt(),
                        j.get("first_index").getAsInt());
                if (s.count() < 0 || s.firstIndex() != next || s.file().contains("/") || s.file().contains("\\")) {
                    throw new BadInputException(file + ": shard " + s.file() + " has count " + s.count()
                            + " and first_index " + s.firstIndex() + ", expected first_index " + next);
                }
                next += s.count();
                shards.add(s);
            }
            int samples = o.get("samples").getAsInt();
            if (samples != next) {
                throw new BadInputException(file + ": samples is " + samples + " but the shards hold " + next);
            }
            List<Skipped> skipped = new ArrayList<>();
            for (JsonElement e : o.getAsJsonArray("skipped")) {
                JsonObject j = e.getAsJsonObject();
                skipped.add(new Skipped(j.get("video").getAsString(), j.get("reason").getAsString()));
            }
            JsonObject settings = o.deepCopy();
            for (String k : List.of("format", "latent_shape", "text_shape", "empty_text", "shards", "samples",
                    "skipped")) {
                settings.remove(k);
            }
            return new LatentManifest(settings, shape(o.get("latent_shape")), shape(o.get("text_shape")), shards,
                    samples, skipped);
        } catch (NullPointerException | IllegalStateException | UnsupportedOperationException
                | ClassCastException | NumberFormatException e) {
            throw new BadInputException(file + ": missing or malformed field (" + e.getMessage() + ")");
        }
    }

    private static long[] shape(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        JsonArray a = e.getAsJsonArray();
        long[] s = new long[a.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = a.get(i).getAsLong();
        }
        return s;
    }

    private static JsonElement longs(long[] v) {
        if (v == null) {
            return com.google.gson.JsonNull.INSTANCE;
        }
        JsonArray a = new JsonArray();
        for (long x : v) {
            a.add(x);
        }
        return a;
    }
}

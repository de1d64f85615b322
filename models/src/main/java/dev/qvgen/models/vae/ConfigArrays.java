package dev.qvgen.models.vae;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.ConfigReader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * List-valued config keys that {@link ConfigReader} has no getter for (float and boolean lists,
 * and lists that may be null). The reader still does the bookkeeping, so unknown keys stay errors.
 */
public final class ConfigArrays {
    private final ConfigReader reader;
    private final JsonObject json;

    public ConfigArrays(Path file, ConfigReader reader) {
        this.reader = reader;
        try {
            this.json = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private JsonArray array(String key, boolean nullable) {
        reader.optional(key);
        if (!json.has(key)) {
            throw new CheckpointException(reader.source() + ": missing config key '" + key + "'");
        }
        JsonElement e = json.get(key);
        if (e.isJsonNull() && nullable) {
            return null;
        }
        if (!e.isJsonArray()) {
            throw new CheckpointException(reader.source() + ": config key '" + key + "' must be a list, got " + e);
        }
        return e.getAsJsonArray();
    }

    /** A list of numbers, or null where the config says null and {@code nullable}. */
    public double[] doubles(String key, boolean nullable) {
        JsonArray a = array(key, nullable);
        if (a == null) {
            return null;
        }
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            try {
                out[i] = a.get(i).getAsDouble();
            } catch (RuntimeException ex) {
                throw new CheckpointException(reader.source() + ": config key '" + key
                        + "' must hold numbers, got " + a.get(i));
            }
        }
        return out;
    }

    public boolean[] booleans(String key) {
        JsonArray a = array(key, false);
        boolean[] out = new boolean[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement v = a.get(i);
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isBoolean()) {
                throw new CheckpointException(reader.source() + ": config key '" + key
                        + "' must hold true/false, got " + v);
            }
            out[i] = v.getAsBoolean();
        }
        return out;
    }

    public String[] strings(String key) {
        JsonArray a = array(key, false);
        String[] out = new String[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsString();
        }
        return out;
    }

    /** An integer that may be null (returned as null). */
    public Integer nullableInt(String key) {
        reader.optional(key);
        if (!json.has(key)) {
            throw new CheckpointException(reader.source() + ": missing config key '" + key + "'");
        }
        JsonElement e = json.get(key);
        if (e.isJsonNull()) {
            return null;
        }
        return reader.getInt(key);
    }
}

package dev.qvgen.layers.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Reads a diffusers {@code config.json} strictly: every key the model needs must be present,
 * and any key it does not know is an error (keys starting with '_' are bookkeeping and skipped).
 */
public final class ConfigReader {
    private final String source;
    private final JsonObject json;
    private final Set<String> used = new HashSet<>();

    public ConfigReader(String source, JsonObject json) {
        this.source = source;
        this.json = json;
    }

    /**
     * {@code _class_name} of a diffusers JSON file (a {@code model_index.json} or a component's
     * config), without the strict key check.
     */
    public static String className(Path file) {
        JsonElement c = open(file).json.get("_class_name");
        if (c == null || !c.isJsonPrimitive()) {
            throw new CheckpointException(file + ": no _class_name");
        }
        return c.getAsString();
    }

    public static ConfigReader open(Path file) {
        try {
            return new ConfigReader(file.toString(), JsonParser.parseString(Files.readString(file)).getAsJsonObject());
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": file not found");
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read (" + e.getMessage() + ")", e);
        } catch (JsonParseException | IllegalStateException e) {
            throw new CheckpointException(file + ": not a JSON object");
        }
    }

    private JsonElement require(String key) {
        used.add(key);
        if (!json.has(key)) {
            throw new CheckpointException(source + ": missing config key '" + key + "'");
        }
        return json.get(key);
    }

    public int getInt(String key) {
        JsonElement e = require(key);
        try {
            return e.getAsInt();
        } catch (RuntimeException ex) {
            throw new CheckpointException(source + ": config key '" + key + "' must be an integer, got " + e);
        }
    }

    public double getDouble(String key) {
        JsonElement e = require(key);
        try {
            return e.getAsDouble();
        } catch (RuntimeException ex) {
            throw new CheckpointException(source + ": config key '" + key + "' must be a number, got " + e);
        }
    }

    public boolean getBoolean(String key) {
        JsonElement e = require(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw new CheckpointException(source + ": config key '" + key + "' must be true or false, got " + e);
        }
        return e.getAsBoolean();
    }

    public String getString(String key) {
        JsonElement e = require(key);
        return e.isJsonNull() ? null : e.getAsString();
    }

    public int[] getIntArray(String key) {
        JsonElement e = require(key);
        if (!e.isJsonArray()) {
            throw new CheckpointException(source + ": config key '" + key + "' must be a list, got " + e);
        }
        JsonArray a = e.getAsJsonArray();
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }

    /** A key whose only supported value is null (a feature this port does not implement). */
    public void requireNull(String key) {
        JsonElement e = require(key);
        if (!e.isJsonNull()) {
            throw new CheckpointException(source + ": config key '" + key + "' = " + e
                    + " is not supported (only null)");
        }
    }

    public boolean has(String key) {
        return json.has(key);
    }

    /** Marks an optional key as known. */
    public void optional(String key) {
        used.add(key);
    }

    public void rejectUnknownKeys() {
        for (String k : json.keySet()) {
            if (!k.startsWith("_") && !used.contains(k)) {
                throw new CheckpointException(source + ": unknown config key '" + k + "'");
            }
        }
    }

    public String source() {
        return source;
    }
}

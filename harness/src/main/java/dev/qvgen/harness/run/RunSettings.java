package dev.qvgen.harness.run;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.layers.io.IoErrors;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a run directory is: the settings its results were made with ({@code settings}: plan,
 * sampling, model and weights identity...) and a fingerprint per item ({@code items}: an arm, a
 * video) of everything that item depends on. Written into the directory before the work; a rerun
 * compares its own and is refused, naming what differs, unless it was asked to redo the changed
 * items ({@code --restart-changed}). {@code recorded} holds facts kept for the record only (the
 * code version), never compared.
 */
public final class RunSettings {
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    private final String command;
    private final Map<String, String> settings;
    private final Map<String, String> items;
    private final Map<String, String> recorded;

    public RunSettings(String command, Map<String, String> settings, Map<String, String> items,
            Map<String, String> recorded) {
        this.command = command;
        this.settings = new LinkedHashMap<>(settings);
        this.items = new LinkedHashMap<>(items);
        this.recorded = new LinkedHashMap<>(recorded);
    }

    public Map<String, String> settings() {
        return settings;
    }

    public Map<String, String> items() {
        return items;
    }

    /** The settings file's record, or empty when there is none. */
    public static Optional<RunSettings> read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new BadInputException(IoErrors.describe(e, file));
        }
        try {
            JsonObject o = JsonParser.parseString(text).getAsJsonObject();
            return Optional.of(new RunSettings(o.get("command").getAsString(), strings(o, "settings"),
                    strings(o, "items"), strings(o, "recorded")));
        } catch (JsonParseException | IllegalStateException | NullPointerException | UnsupportedOperationException e) {
            throw new BadInputException(file + ": not a qvgen run-settings file (" + e.getClass().getSimpleName()
                    + "); move it away if this directory is not a qvgen run");
        }
    }

    private static Map<String, String> strings(JsonObject o, String key) {
        Map<String, String> m = new LinkedHashMap<>();
        if (o.has(key)) {
            o.getAsJsonObject(key).entrySet().forEach(e -> m.put(e.getKey(), e.getValue().getAsString()));
        }
        return m;
    }

    /** Writes the record atomically (temp file, rename), naming the file if that fails. */
    public void write(Path file) {
        JsonObject o = new JsonObject();
        o.addProperty("command", command);
        o.add("settings", GSON.toJsonTree(settings));
        o.add("items", GSON.toJsonTree(items));
        o.add("recorded", GSON.toJsonTree(recorded));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, GSON.toJson(o) + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the write failed already; report that
            }
            throw new BadInputException(file + ": cannot write (" + IoErrors.reason(e) + ")");
        }
    }

    /**
     * The settings that differ from {@code before}'s, as {@code key: old -> new}; a key only one
     * side has counts as different (a setting the other side never had).
     */
    public List<String> differences(RunSettings before) {
        List<String> out = new ArrayList<>();
        if (!command.equals(before.command)) {
            out.add("command: " + before.command + " -> " + command);
        }
        Set<String> keys = new LinkedHashSet<>(before.settings.keySet());
        keys.addAll(settings.keySet());
        for (String k : keys) {
            String was = before.settings.get(k);
            String now = settings.get(k);
            if (!java.util.Objects.equals(was, now)) {
                out.add(k + ": " + shorten(was) + " -> " + shorten(now));
            }
        }
        return out;
    }

    /** Items whose fingerprint differs from {@code before}'s, or that {@code before} does not have. */
    public Set<String> changedItems(RunSettings before) {
        Set<String> out = new LinkedHashSet<>();
        items.forEach((k, v) -> {
            if (!v.equals(before.items.get(k))) {
                out.add(k);
            }
        });
        return out;
    }

    /**
     * The one-line refusal for a rerun with other settings (at most four differences spelled out).
     */
    public static String refusal(Path dir, List<String> differences) {
        String shown = String.join("; ", differences.subList(0, Math.min(4, differences.size())));
        String more = differences.size() > 4 ? "; and " + (differences.size() - 4) + " more" : "";
        return dir + " holds a run made with other settings (" + shown + more + "): use another --out, or "
                + "--restart-changed to redo what changed and keep the rest";
    }

    private static String shorten(String v) {
        if (v == null) {
            return "(none)";
        }
        return v.length() <= 60 ? v : v.substring(0, 57) + "...";
    }
}

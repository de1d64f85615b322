package dev.qvgen.metrics.eval;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which prompt each video was generated from, and (for VBench's full-info JSON) which
 * dimensions apply to it, the way VBench pairs them: a video file {@code <prompt>-<i>.mp4}
 * (or {@code <prompt>.mp4}) belongs to the prompt its name spells (utils.get_prompt_from_filename).
 * <ul>
 * <li>{@code VBench_full_info.json}: each prompt is scored only on the dimensions it lists
 *     (VBench's standard mode).</li>
 * <li>a .txt file, one prompt a line: every requested dimension applies; a video named by a
 *     number ({@code 12.mp4}, {@code 0012-3.mp4}) takes the prompt on that line (0-based).</li>
 * <li>no file: the prompt is read from the file name (VBench's custom_input mode).</li>
 * </ul>
 */
public final class PromptIndex {
    private static final Pattern INDEX_SUFFIX = Pattern.compile("-\\d+$");
    private static final Pattern NUMBER = Pattern.compile("\\d+");

    /**
     * The prompt of one video, the dimensions its prompt is tagged with (null: all), and its
     * auxiliary info flattened to {@code <dimension>.<field>} keys.
     */
    public record Entry(String prompt, Set<String> dimensions, Map<String, String> auxiliary) {
        public Entry {
            auxiliary = auxiliary == null ? Map.of() : Map.copyOf(auxiliary);
        }
    }

    private final Path source;
    private final Map<String, Set<String>> prompts;
    private final List<String> lines;
    private final Map<String, Map<String, String>> auxiliary = new HashMap<>();
    /** Prompts by the stem their videos are named with ({@link VideoNames}); null marks two prompts sharing one. */
    private final Map<String, String> byStem = new HashMap<>();

    private PromptIndex(Path source, Map<String, Set<String>> prompts, List<String> lines) {
        this.source = source;
        this.prompts = prompts;
        this.lines = lines;
        if (prompts != null) {
            for (String p : prompts.keySet()) {
                String stem = VideoNames.stem(p);
                if (byStem.containsKey(stem) && !p.equals(byStem.get(stem))) {
                    byStem.put(stem, null);
                } else {
                    byStem.put(stem, p);
                }
            }
        }
    }

    /** Whether prompts carry VBench's dimension tags and auxiliary info (a full-info JSON). */
    public boolean fullInfo() {
        return prompts != null && lines == null;
    }

    /** Prompts from the file names only. */
    public static PromptIndex fromFileNames() {
        return new PromptIndex(null, null, null);
    }

    /** @throws IllegalArgumentException naming the file when it cannot be read or parsed */
    public static PromptIndex load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read prompts (" + e.getMessage() + ")", e);
        }
        if (file.getFileName().toString().toLowerCase().endsWith(".json")) {
            return parseFullInfo(file, text);
        }
        List<String> lines = new ArrayList<>();
        Map<String, Set<String>> prompts = new LinkedHashMap<>();
        for (String line : text.split("\\R")) {
            String p = line.strip();
            if (!p.isEmpty()) {
                lines.add(p);
                prompts.put(p, null);
            }
        }
        if (lines.isEmpty()) {
            throw new IllegalArgumentException(file + ": no prompts (expected one prompt a line)");
        }
        return new PromptIndex(file, prompts, lines);
    }

    private static PromptIndex parseFullInfo(Path file, String text) {
        Map<String, Set<String>> prompts = new LinkedHashMap<>();
        try {
            JsonElement root = JsonParser.parseString(text);
            if (!root.isJsonArray()) {
                throw new IllegalArgumentException(file + ": expected a JSON array of {prompt_en, dimension} objects");
            }
            int i = 0;
            for (JsonElement e : root.getAsJsonArray()) {
                if (!e.isJsonObject() || !e.getAsJsonObject().has("prompt_en")) {
                    throw new IllegalArgumentException(file + ": entry " + i + " has no prompt_en");
                }
                JsonObject o = e.getAsJsonObject();
                Set<String> dims = new HashSet<>();
                JsonElement d = o.get("dimension");
                if (d != null && d.isJsonArray()) {
                    for (JsonElement x : (JsonArray) d) {
                        dims.add(x.getAsString());
                    }
                }
                prompts.merge(o.get("prompt_en").getAsString(), dims, (a, b) -> {
                    Set<String> u = new HashSet<>(a);
                    u.addAll(b);
                    return u;
                });
                i++;
            }
        } catch (JsonParseException | IllegalStateException | UnsupportedOperationException e) {
            throw new IllegalArgumentException(file + ": not valid VBench full-info JSON (" + e.getMessage() + ")", e);
        }
        PromptIndex index = new PromptIndex(file, prompts, null);
        for (JsonElement e : JsonParser.parseString(text).getAsJsonArray()) {
            JsonObject o = e.getAsJsonObject();
            JsonElement aux = o.get("auxiliary_info");
            if (aux != null && aux.isJsonObject()) {
                Map<String, String> flat = index.auxiliary.computeIfAbsent(o.get("prompt_en").getAsString(),
                        k -> new HashMap<>());
                for (var dim : aux.getAsJsonObject().entrySet()) {
                    if (dim.getValue().isJsonObject()) {
                        for (var field : dim.getValue().getAsJsonObject().entrySet()) {
                            flat.put(dim.getKey() + "." + field.getKey(), field.getValue().isJsonPrimitive()
                                    ? field.getValue().getAsString() : field.getValue().toString());
                        }
                    } else {
                        flat.put(dim.getKey(), dim.getValue().isJsonPrimitive() ? dim.getValue().getAsString()
                                : dim.getValue().toString());
                    }
                }
            }
        }
        return index;
    }

    /** VBench's get_prompt_from_filename: the stem without a trailing {@code -<number>}. */
    public static String promptFromFileName(String fileName) {
        int dot = fileName.lastIndexOf('.');
        String stem = dot > 0 ? fileName.substring(0, dot) : fileName;
        return INDEX_SUFFIX.matcher(stem).replaceFirst("");
    }

    /**
     * @return the entry for this video file name
     * @throws IllegalArgumentException when the prompts file has no prompt for it
     */
    public Entry lookup(String fileName) {
        String prompt = promptFromFileName(fileName);
        if (prompts == null) {
            return new Entry(prompt, null, null);
        }
        if (prompts.containsKey(prompt)) {
            return new Entry(prompt, prompts.get(prompt), auxiliary.get(prompt));
        }
        if (byStem.containsKey(prompt)) {
            // a long prompt's name is cut (VBench-2.0's prompt[:180]) and made safe: map it back
            String full = byStem.get(prompt);
            if (full == null) {
                throw new IllegalArgumentException("video " + fileName + " matches several prompts in " + source
                        + " (they share their first " + VideoNames.PROMPT_CHARS + " characters)");
            }
            return new Entry(full, prompts.get(full), auxiliary.get(full));
        }
        if (lines != null && prompt.length() < 10 && NUMBER.matcher(prompt).matches()) {
            int index = Integer.parseInt(prompt);
            if (index < lines.size()) {
                return new Entry(lines.get(index), null, null);
            }
        }
        throw new IllegalArgumentException("no prompt in " + source + " for video " + fileName);
    }
}

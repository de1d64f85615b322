package dev.qvgen.suites.plan;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import dev.qvgen.suites.toy.ToyPrompt;
import dev.qvgen.suites.toy.ToyPromptSuite;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Reads the prompts of a {@link PromptSpec}. */
public final class PromptSuites {
    /** VBench's 16 evaluation dimensions: the dimension list's. */
    public static final List<String> VBENCH_DIMENSIONS = dev.qvgen.suites.vbench.VBenchDimensions.ALL;

    public static final String FULL_INFO = "VBench_full_info.json";
    public static final String PER_DIMENSION_DIR = "prompts_per_dimension";
    public static final String DIMENSION_TO_FOLDER = "dimension_to_folder.json";

    private PromptSuites() {}

    /**
     * The prompts, filtered by the spec's dimensions and cut to its limit; indices are positions
     * in the unfiltered suite.
     *
     * @param baseDir what a relative {@code path} is relative to
     * @throws PlanException one line naming the file that cannot be read and why
     */
    public static List<PlanPrompt> resolve(PromptSpec spec, Path baseDir, PlanContext ctx) {
        List<PlanPrompt> all = switch (spec.suite()) {
            case TOY -> toy(ToyPromptSuite.standard());
            case TOY_128 -> toy(ToyPromptSuite.large());
            case FILE -> lines(resolvePath(spec, baseDir, ctx));
            case VBENCH_FULL -> vbenchFull(fullInfoFile(resolvePath(spec, baseDir, ctx)));
            case VBENCH_PER_DIMENSION -> vbenchPerDimension(resolvePath(spec, baseDir, ctx));
        };
        List<PlanPrompt> kept = spec.dimensions().isEmpty() ? all
                : all.stream().filter(p -> p.dimensions().stream().anyMatch(spec.dimensions()::contains)).toList();
        if (spec.limit() != null && kept.size() > spec.limit()) {
            kept = kept.subList(0, spec.limit());
        }
        return List.copyOf(kept);
    }

    private static Path resolvePath(PromptSpec spec, Path baseDir, PlanContext ctx) {
        Path p = spec.path();
        if (p == null) {
            return ctx.vbenchDir();
        }
        return p.isAbsolute() || baseDir == null ? p : baseDir.resolve(p);
    }

    private static List<PlanPrompt> toy(List<ToyPrompt> suite) {
        List<PlanPrompt> out = new ArrayList<>();
        for (ToyPrompt p : suite) {
            out.add(new PlanPrompt(p.index(), p.caption(), List.of()));
        }
        return out;
    }

    /** A directory means its VBench_full_info.json. */
    private static Path fullInfoFile(Path p) {
        return Files.isDirectory(p) ? p.resolve(FULL_INFO) : p;
    }

    private static List<PlanPrompt> lines(Path file) {
        List<PlanPrompt> out = new ArrayList<>();
        for (String line : readLines(file)) {
            String s = line.strip();
            if (!s.isEmpty() && !s.startsWith("#")) {
                out.add(new PlanPrompt(out.size(), s, List.of()));
            }
        }
        if (out.isEmpty()) {
            throw new PlanException(file + ": no prompts in the file");
        }
        return out;
    }

    /** {@code [{"prompt_en": ..., "dimension": [...]}, ...]}; extra keys (auxiliary info) are VBench's own. */
    static List<PlanPrompt> vbenchFull(Path file) {
        JsonElement root;
        try {
            root = JsonParser.parseString(read(file));
        } catch (JsonParseException e) {
            throw new PlanException(file + ": not valid JSON (" + oneLine(e.getMessage()) + ")", e);
        }
        if (!root.isJsonArray()) {
            throw new PlanException(file + ": expected a JSON array of {\"prompt_en\", \"dimension\"} objects");
        }
        JsonArray arr = root.getAsJsonArray();
        List<PlanPrompt> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            String where = file + ": entry " + i + ": ";
            if (!arr.get(i).isJsonObject()) {
                throw new PlanException(where + "not an object");
            }
            JsonObject o = arr.get(i).getAsJsonObject();
            JsonElement prompt = o.get("prompt_en");
            JsonElement dims = o.get("dimension");
            if (prompt == null || !prompt.isJsonPrimitive() || prompt.getAsString().isBlank()) {
                throw new PlanException(where + "no \"prompt_en\" text");
            }
            if (dims == null || !dims.isJsonArray()) {
                throw new PlanException(where + "no \"dimension\" list");
            }
            List<String> d = new ArrayList<>();
            for (JsonElement e : dims.getAsJsonArray()) {
                String name = e.isJsonPrimitive() ? e.getAsString() : null;
                if (name == null || !VBENCH_DIMENSIONS.contains(name)) {
                    throw new PlanException(where + "unknown dimension " + e);
                }
                d.add(name);
            }
            out.add(new PlanPrompt(i, prompt.getAsString().strip(), d));
        }
        return out;
    }

    /**
     * The distinct prompts of every {@code prompts_per_dimension/*.txt}, files in name order; a
     * prompt's dimensions are those whose folder (VBench's dimension_to_folder.json) lists it.
     */
    static List<PlanPrompt> vbenchPerDimension(Path dir) {
        Path folderDir = dir.resolve(PER_DIMENSION_DIR);
        if (!Files.isDirectory(folderDir)) {
            throw new PlanException(dir + ": no " + PER_DIMENSION_DIR + "/ directory (VBench prompt data expected"
                    + " here; set the suite's path or " + PlanContext.VBENCH_DIR_ENV + ")");
        }
        Map<String, List<String>> dimsOfFolder = foldersToDimensions(dir.resolve(DIMENSION_TO_FOLDER));
        List<Path> files;
        try (Stream<Path> s = Files.list(folderDir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".txt")).sorted().toList();
        } catch (IOException e) {
            throw new PlanException(folderDir + ": cannot list (" + oneLine(e.getMessage()) + ")", e);
        }
        Map<String, Set<String>> prompts = new LinkedHashMap<>();
        for (Path f : files) {
            String folder = f.getFileName().toString().replaceFirst("\\.txt$", "");
            List<String> dims = dimsOfFolder.get(folder);
            if (dims == null) {
                throw new PlanException(f + ": no dimension reads this file in " + DIMENSION_TO_FOLDER);
            }
            for (String line : readLines(f)) {
                String s = line.strip();
                if (!s.isEmpty()) {
                    prompts.computeIfAbsent(s, k -> new LinkedHashSet<>()).addAll(dims);
                }
            }
        }
        if (prompts.isEmpty()) {
            throw new PlanException(folderDir + ": no prompts in any .txt file");
        }
        List<PlanPrompt> out = new ArrayList<>();
        prompts.forEach((text, dims) -> out.add(new PlanPrompt(out.size(), text,
                VBENCH_DIMENSIONS.stream().filter(dims::contains).toList())));
        return out;
    }

    private static Map<String, List<String>> foldersToDimensions(Path file) {
        JsonElement root;
        try {
            root = JsonParser.parseString(read(file));
        } catch (JsonParseException e) {
            throw new PlanException(file + ": not valid JSON (" + oneLine(e.getMessage()) + ")", e);
        }
        if (!root.isJsonObject()) {
            throw new PlanException(file + ": expected a JSON object dimension -> folder");
        }
        Map<String, List<String>> out = new TreeMap<>();
        for (Map.Entry<String, JsonElement> e : root.getAsJsonObject().entrySet()) {
            if (!VBENCH_DIMENSIONS.contains(e.getKey()) || !e.getValue().isJsonPrimitive()) {
                throw new PlanException(file + ": bad entry \"" + e.getKey() + "\": " + e.getValue());
            }
            out.computeIfAbsent(e.getValue().getAsString(), k -> new ArrayList<>()).add(e.getKey());
        }
        return out;
    }

    private static List<String> readLines(Path file) {
        return read(file).lines().toList();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new PlanException(file + ": prompt file not found", e);
        } catch (IOException e) {
            throw new PlanException(file + ": cannot read (" + oneLine(e.getMessage()) + ")", e);
        }
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ");
    }
}

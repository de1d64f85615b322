package dev.qvgen.metrics.tag2text;

import dev.qvgen.layers.io.CheckpointException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tag2Text's tag names, one per class of its tagging head (3429 for the published model). Read
 * from a text file with one tag per line, or straight from VBench's
 * {@code third_party/tag2Text/tag_class.py} (the string literals of its {@code tra_array} list,
 * in order), so users need not convert the file VBench ships.
 */
public final class TagList {
    private static final Pattern PY_STRING = Pattern.compile("'((?:[^'\\\\]|\\\\.)*)'|\"((?:[^\"\\\\]|\\\\.)*)\"");

    private final List<String> names;

    private TagList(List<String> names) {
        this.names = List.copyOf(names);
    }

    /** @throws CheckpointException naming the file if it is missing, unreadable or holds no tags */
    public static TagList load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(file + ": file not found (Tag2Text's tag list: VBench's "
                    + "tag_class.py, or a text file with one tag per line)");
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        List<String> names = file.getFileName().toString().endsWith(".py") ? fromPython(text) : fromLines(text);
        if (names.isEmpty()) {
            throw new CheckpointException(file + ": no tag names found");
        }
        return new TagList(names);
    }

    public static TagList of(List<String> names) {
        return new TagList(names);
    }

    static List<String> fromLines(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\\R")) {
            if (!line.isBlank()) {
                out.add(line.strip());
            }
        }
        return out;
    }

    /** The string literals between the first '[' and its closing ']' of tag_class.py. */
    static List<String> fromPython(String text) {
        int open = text.indexOf('[');
        int close = text.lastIndexOf(']');
        List<String> out = new ArrayList<>();
        if (open < 0 || close < open) {
            return out;
        }
        Matcher m = PY_STRING.matcher(text.substring(open + 1, close));
        while (m.find()) {
            String s = m.group(1) != null ? m.group(1) : m.group(2);
            out.add(s.replace("\\'", "'").replace("\\\"", "\"").replace("\\\\", "\\"));
        }
        return out;
    }

    public int size() {
        return names.size();
    }

    public String name(int i) {
        return names.get(i);
    }
}

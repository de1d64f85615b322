package dev.qvgen.reports.gate;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How much each dimension may drop before the gate calls it a regression, and how the bootstrap
 * is run. A YAML (or JSON) file:
 *
 * <pre>
 * default: 0.01          # max allowed drop of a dimension's mean, in score units (optional, 0)
 * dimensions:            # per-dimension overrides (optional)
 *   dynamic_degree: 0.05
 * confidence: 0.95       # two-sided bootstrap confidence level (optional)
 * resamples: 2000        # bootstrap resamples (optional)
 * seed: 20250517         # bootstrap seed (optional): the same inputs always give the same verdict
 * </pre>
 *
 * @param dimensions dimension → max allowed drop; a dimension not listed gets {@code defaultDrop}
 */
public record Tolerances(double defaultDrop, Map<String, Double> dimensions, double confidence, int resamples,
        long seed) {
    public static final double DEFAULT_CONFIDENCE = 0.95;
    public static final int DEFAULT_RESAMPLES = 2000;
    public static final long DEFAULT_SEED = 20250517L;
    private static final List<String> KEYS = List.of("default", "dimensions", "confidence", "resamples", "seed");

    public Tolerances {
        Objects.requireNonNull(dimensions, "dimensions");
        dimensions = Collections.unmodifiableMap(new LinkedHashMap<>(dimensions));
    }

    /** Every dimension may drop by {@code drop}; default bootstrap settings. */
    public static Tolerances uniform(double drop) {
        return new Tolerances(drop, Map.of(), DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, DEFAULT_SEED);
    }

    /** The max allowed drop of {@code dimension}. */
    public double maxDrop(String dimension) {
        return dimensions.getOrDefault(dimension, defaultDrop);
    }

    /**
     * Reads a tolerances file.
     *
     * @throws GateInputException one line naming the file, line and key
     */
    public static Tolerances read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new GateInputException(file + ": tolerances file not found", e);
        } catch (IOException e) {
            throw new GateInputException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        return parse(text, file.toString());
    }

    /** Parses the text of a tolerances file; {@code source} names it in errors. */
    public static Tolerances parse(String text, String source) {
        Node root;
        try {
            LoaderOptions o = new LoaderOptions();
            o.setMaxAliasesForCollections(0);
            root = new Yaml(new SafeConstructor(o)).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 1 : e.getProblemMark().getLine() + 1;
            throw new GateInputException(source + ":" + line + ": not valid YAML or JSON (" + oneLine(e.getProblem())
                    + ")", e);
        } catch (YAMLException e) {
            throw new GateInputException(source + ": not valid YAML or JSON (" + oneLine(e.getMessage()) + ")", e);
        }
        if (!(root instanceof MappingNode m)) {
            throw new GateInputException(source + ":1: expected a mapping with keys " + String.join(", ", KEYS));
        }
        double def = 0;
        Map<String, Double> dims = new LinkedHashMap<>();
        double confidence = DEFAULT_CONFIDENCE;
        int resamples = DEFAULT_RESAMPLES;
        long seed = DEFAULT_SEED;
        List<String> seen = new java.util.ArrayList<>();
        for (NodeTuple t : m.getValue()) {
            String key = key(source, t.getKeyNode(), "");
            if (!KEYS.contains(key)) {
                throw err(source, t.getKeyNode(), key, "unknown key (known: " + String.join(", ", KEYS) + ")");
            }
            if (seen.contains(key)) {
                throw err(source, t.getKeyNode(), key, "repeated key");
            }
            seen.add(key);
            Node v = t.getValueNode();
            switch (key) {
                case "default" -> def = drop(source, v, key);
                case "dimensions" -> {
                    if (!(v instanceof MappingNode dm)) {
                        throw err(source, v, key, "expected a mapping dimension -> max allowed drop");
                    }
                    for (NodeTuple d : dm.getValue()) {
                        String name = key(source, d.getKeyNode(), "dimensions.");
                        if (dims.containsKey(name)) {
                            throw err(source, d.getKeyNode(), "dimensions." + name, "repeated key");
                        }
                        dims.put(name, drop(source, d.getValueNode(), "dimensions." + name));
                    }
                }
                case "confidence" -> {
                    confidence = number(source, v, key);
                    if (!(confidence >= 0.5 && confidence < 1)) {
                        throw err(source, v, key, confidence + " is not in [0.5, 1)");
                    }
                }
                case "resamples" -> {
                    String s = scalar(source, v, key);
                    try {
                        resamples = Integer.parseInt(s);
                    } catch (NumberFormatException e) {
                        throw err(source, v, key, "'" + s + "' is not a whole number");
                    }
                    if (resamples < 100 || resamples > 1_000_000) {
                        throw err(source, v, key, resamples + " is not in 100..1000000");
                    }
                }
                case "seed" -> {
                    String s = scalar(source, v, key);
                    try {
                        seed = Long.parseLong(s);
                    } catch (NumberFormatException e) {
                        throw err(source, v, key, "'" + s + "' is not a whole number");
                    }
                }
                default -> throw new IllegalStateException(key);
            }
        }
        return new Tolerances(def, dims, confidence, resamples, seed);
    }

    private static double drop(String source, Node v, String key) {
        double d = number(source, v, key);
        if (d < 0) {
            throw err(source, v, key, d + " is negative (a max allowed drop is >= 0)");
        }
        return d;
    }

    private static double number(String source, Node v, String key) {
        String s = scalar(source, v, key);
        try {
            double d = Double.parseDouble(s);
            if (Double.isFinite(d)) {
                return d;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw err(source, v, key, "'" + s + "' is not a finite number");
    }

    private static String scalar(String source, Node v, String key) {
        if (!(v instanceof ScalarNode s)) {
            throw err(source, v, key, "expected a single value");
        }
        return s.getValue().strip();
    }

    private static String key(String source, Node k, String prefix) {
        if (!(k instanceof ScalarNode s) || s.getValue().isBlank()) {
            throw err(source, k, prefix + "?", "keys must be plain names");
        }
        return s.getValue();
    }

    private static GateInputException err(String source, Node n, String key, String problem) {
        int line = n.getStartMark() == null ? 1 : n.getStartMark().getLine() + 1;
        return new GateInputException(source + ":" + line + ": key '" + key + "': " + problem);
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}

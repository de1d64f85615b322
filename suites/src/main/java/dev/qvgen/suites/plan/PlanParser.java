package dev.qvgen.suites.plan;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a plan file (YAML; JSON is YAML too). The document is composed into nodes, never into
 * objects (no tags, no anchors-as-code), so every error can name its line. Strict: an unknown key,
 * a repeated key, a missing key or a bad value is a {@link PlanException} of one line:
 * {@code <file>:<line>: key '<key>': <problem>}.
 */
public final class PlanParser {
    static final Set<String> TOP_KEYS = Set.of("name", "description", "models", "methods", "bits", "fp_bits",
            "prompts", "seeds", "sampling");
    static final Set<String> PROMPT_KEYS = Set.of("suite", "path", "dimensions", "limit");
    static final Set<String> SAMPLING_KEYS = Set.of("steps", "guidance", "shift");

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]*");
    private static final Pattern BITS = Pattern.compile("w([1-9]|1[0-6])a([1-9]|1[0-6])");
    private static final Pattern FP_BITS = Pattern.compile("fp(8|16|32)|bf16");

    private final String source;

    private PlanParser(String source) {
        this.source = source;
    }

    /**
     * @param source  the file name (or {@code built-in:<name>}) errors start with
     * @param baseDir what relative prompt paths are relative to; null: the working directory
     */
    public static RunPlan parse(String text, String source, Path baseDir) {
        return new PlanParser(source).plan(text, baseDir);
    }

    private RunPlan plan(String text, Path baseDir) {
        Node root;
        try {
            LoaderOptions opts = new LoaderOptions();
            opts.setAllowDuplicateKeys(false);
            opts.setMaxAliasesForCollections(0);
            root = new Yaml(new SafeConstructor(opts)).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 1 : e.getProblemMark().getLine() + 1;
            throw new PlanException(source + ":" + line + ": not valid YAML (" + oneLine(e.getProblem()) + ")", e);
        } catch (YAMLException e) {
            throw new PlanException(source + ": not valid YAML (" + oneLine(e.getMessage()) + ")", e);
        }
        if (!(root instanceof MappingNode)) {
            throw new PlanException(source + ":1: a plan must be a mapping of keys (" + String.join(", ",
                    TOP_KEYS.stream().sorted().toList()) + ")");
        }
        Map<String, NodeTuple> top = keys((MappingNode) root, "", TOP_KEYS);
        String name = nameOf(require(top, root, "name"), "name");
        String description = top.containsKey("description") ? scalar(top.get("description").getValueNode(),
                "description") : "";
        List<String> models = names(require(top, root, "models"), "models", RunPlan.KNOWN_MODELS, "model");
        List<String> methods = names(require(top, root, "methods"), "methods", RunPlan.KNOWN_METHODS, "method");
        boolean quantized = methods.stream().anyMatch(m -> !m.equals(PlanItem.FP));
        List<String> bits = List.of();
        if (top.containsKey("bits")) {
            bits = patterned(top.get("bits").getValueNode(), "bits", BITS, "a bit width like w4a4");
        } else if (quantized) {
            throw err(root, "bits", "missing (the quantized methods need bit widths, e.g. [w4a4, w3a3])");
        }
        String fpBits = "fp32";
        if (top.containsKey("fp_bits")) {
            Node n = top.get("fp_bits").getValueNode();
            fpBits = scalar(n, "fp_bits");
            if (!FP_BITS.matcher(fpBits).matches()) {
                throw err(n, "fp_bits", "'" + fpBits + "' is not one of fp32, fp16, bf16, fp8");
            }
        }
        PromptSpec prompts = prompts(require(top, root, "prompts"));
        Node seedsNode = require(top, root, "seeds");
        int seeds = integer(seedsNode, "seeds");
        if (seeds < 1 || seeds > PlanItem.MAX_SEEDS) {
            throw err(seedsNode, "seeds", seeds + " is not in 1.." + PlanItem.MAX_SEEDS);
        }
        List<Sampling> sampling = sampling(require(top, root, "sampling"));
        return new RunPlan(name, description, models, methods, bits, fpBits, prompts, seeds, sampling, source,
                baseDir);
    }

    private PromptSpec prompts(Node n) {
        if (!(n instanceof MappingNode m)) {
            throw err(n, "prompts", "expected a mapping with keys " + sorted(PROMPT_KEYS));
        }
        Map<String, NodeTuple> k = keys(m, "prompts.", PROMPT_KEYS);
        Node suiteNode = require(k, n, "prompts.suite", "suite");
        String suiteName = scalar(suiteNode, "prompts.suite");
        PromptSpec.Suite suite = PromptSpec.Suite.of(suiteName);
        if (suite == null) {
            throw err(suiteNode, "prompts.suite", "unknown suite '" + suiteName + "' (known: "
                    + PromptSpec.Suite.known() + ")");
        }
        Path path = null;
        if (k.containsKey("path")) {
            Node pn = k.get("path").getValueNode();
            if (suite.builtIn()) {
                throw err(pn, "prompts.path", "the toy suite is built in and takes no path");
            }
            String p = scalar(pn, "prompts.path");
            if (p.isBlank()) {
                throw err(pn, "prompts.path", "empty");
            }
            path = Path.of(p);
        } else if (suite == PromptSpec.Suite.FILE) {
            throw err(n, "prompts.path", "missing (the file suite needs the prompt file's path)");
        }
        List<String> dims = List.of();
        if (k.containsKey("dimensions")) {
            Node dn = k.get("dimensions").getValueNode();
            if (suite != PromptSpec.Suite.VBENCH_FULL && suite != PromptSpec.Suite.VBENCH_PER_DIMENSION) {
                throw err(dn, "prompts.dimensions", "only the vbench-* suites have dimensions");
            }
            dims = names(dn, "prompts.dimensions", PromptSuites.VBENCH_DIMENSIONS, "VBench dimension");
        }
        Integer limit = null;
        if (k.containsKey("limit")) {
            Node ln = k.get("limit").getValueNode();
            limit = integer(ln, "prompts.limit");
            if (limit < 1) {
                throw err(ln, "prompts.limit", limit + " is not positive");
            }
        }
        return new PromptSpec(suite, path, dims, limit);
    }

    private List<Sampling> sampling(Node n) {
        List<Node> entries = n instanceof SequenceNode s ? s.getValue() : List.of(n);
        if (entries.isEmpty()) {
            throw err(n, "sampling", "empty list");
        }
        List<Sampling> out = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            String key = n instanceof SequenceNode ? "sampling[" + i + "]" : "sampling";
            Node e = entries.get(i);
            if (!(e instanceof MappingNode m)) {
                throw err(e, key, "expected a mapping with keys " + sorted(SAMPLING_KEYS));
            }
            Map<String, NodeTuple> k = keys(m, key + ".", SAMPLING_KEYS);
            Node stepsNode = require(k, e, key + ".steps", "steps");
            int steps = integer(stepsNode, key + ".steps");
            if (steps < 1) {
                throw err(stepsNode, key + ".steps", steps + " is not positive");
            }
            Node gn = require(k, e, key + ".guidance", "guidance");
            double guidance = number(gn, key + ".guidance");
            if (guidance < 0) {
                throw err(gn, key + ".guidance", guidance + " is negative");
            }
            Double shift = null;
            if (k.containsKey("shift")) {
                Node sn = k.get("shift").getValueNode();
                shift = number(sn, key + ".shift");
                if (shift <= 0) {
                    throw err(sn, key + ".shift", shift + " is not positive");
                }
            }
            Sampling s = new Sampling(steps, guidance, shift);
            if (out.stream().anyMatch(o -> o.label().equals(s.label()))) {
                throw err(e, key, "repeats the setting " + s.label());
            }
            out.add(s);
        }
        return out;
    }

    // ---- node helpers ------------------------------------------------------------------------

    private Map<String, NodeTuple> keys(MappingNode m, String prefix, Set<String> allowed) {
        Map<String, NodeTuple> out = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
            Node kn = t.getKeyNode();
            if (!(kn instanceof ScalarNode ks)) {
                throw err(kn, prefix.isEmpty() ? "?" : prefix + "?", "keys must be plain names");
            }
            String key = ks.getValue();
            if (!allowed.contains(key)) {
                throw err(kn, prefix + key, "unknown key (known: " + sorted(allowed) + ")");
            }
            if (out.put(key, t) != null) {
                throw err(kn, prefix + key, "repeated key");
            }
        }
        return out;
    }

    private Node require(Map<String, NodeTuple> keys, Node parent, String key) {
        return require(keys, parent, key, key);
    }

    private Node require(Map<String, NodeTuple> keys, Node parent, String fullKey, String key) {
        NodeTuple t = keys.get(key);
        if (t == null) {
            throw err(parent, fullKey, "missing");
        }
        return t.getValueNode();
    }

    private String scalar(Node n, String key) {
        if (!(n instanceof ScalarNode s)) {
            throw err(n, key, "expected a single value, found a " + kind(n));
        }
        return s.getValue().strip();
    }

    private String nameOf(Node n, String key) {
        String v = scalar(n, key);
        if (!NAME.matcher(v).matches()) {
            throw err(n, key, "'" + v + "' is not a name (lower-case letters, digits, '.', '_', '-')");
        }
        return v;
    }

    private int integer(Node n, String key) {
        String v = scalar(n, key);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw err(n, key, "'" + v + "' is not a whole number");
        }
    }

    private double number(Node n, String key) {
        String v = scalar(n, key);
        try {
            double d = Double.parseDouble(v);
            if (!Double.isFinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw err(n, key, "'" + v + "' is not a finite number");
        }
    }

    /** A list (or one value) of names from {@code known}, without repeats. */
    private List<String> names(Node n, String key, List<String> known, String what) {
        List<String> out = new ArrayList<>();
        for (Node e : items(n, key)) {
            String v = scalar(e, key);
            if (!known.contains(v)) {
                throw err(e, key, "unknown " + what + " '" + v + "' (known: " + String.join(", ", known) + ")");
            }
            if (out.contains(v)) {
                throw err(e, key, "'" + v + "' listed twice");
            }
            out.add(v);
        }
        return out;
    }

    private List<String> patterned(Node n, String key, Pattern p, String what) {
        List<String> out = new ArrayList<>();
        for (Node e : items(n, key)) {
            String v = scalar(e, key);
            if (!p.matcher(v).matches()) {
                throw err(e, key, "'" + v + "' is not " + what);
            }
            if (out.contains(v)) {
                throw err(e, key, "'" + v + "' listed twice");
            }
            out.add(v);
        }
        return out;
    }

    private List<Node> items(Node n, String key) {
        List<Node> items = n instanceof SequenceNode s ? s.getValue() : List.of(n);
        if (items.isEmpty()) {
            throw err(n, key, "empty list");
        }
        return items;
    }

    private PlanException err(Node n, String key, String problem) {
        int line = n == null || n.getStartMark() == null ? 1 : n.getStartMark().getLine() + 1;
        return new PlanException(source + ":" + line + ": key '" + key + "': " + problem);
    }

    private static String kind(Node n) {
        return n instanceof MappingNode ? "mapping" : n instanceof SequenceNode ? "list" : "value";
    }

    private static String sorted(Set<String> keys) {
        return String.join(", ", new HashSet<>(keys).stream().sorted().toList());
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}

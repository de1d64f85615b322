package dev.qvgen.suites.plan;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A named run plan: models × sampling settings × methods × bit widths × prompts × seeds. Read
 * one with {@link Plans#load}; {@link #expand} turns it into {@link PlanItem}s.
 *
 * @param source  where it came from, for messages: a file path or {@code built-in:<name>}
 * @param baseDir what relative prompt paths are relative to; null: the working directory
 * @param fpBits  the bits label of the full-precision method's results rows (e.g. fp32, bf16)
 */
public record RunPlan(String name, String description, List<String> models, List<String> methods,
        List<String> bits, String fpBits, PromptSpec prompts, int seeds, List<Sampling> sampling, String source,
        Path baseDir) {
    /** Model ids a plan may name: the model registry's names. */
    public static final List<String> KNOWN_MODELS = dev.qvgen.models.zoo.ModelRegistry.names();
    /** Methods a plan may name: the methods registry's names, in the order of the paper's tables. */
    public static final List<String> KNOWN_METHODS = dev.qvgen.quantizer.Methods.names();

    public RunPlan {
        Objects.requireNonNull(name, "name");
        description = description == null ? "" : description;
        models = List.copyOf(models);
        methods = List.copyOf(methods);
        bits = List.copyOf(bits);
        Objects.requireNonNull(fpBits, "fpBits");
        Objects.requireNonNull(prompts, "prompts");
        sampling = List.copyOf(sampling);
        Objects.requireNonNull(source, "source");
        if (seeds < 1 || seeds > PlanItem.MAX_SEEDS) {
            throw new IllegalArgumentException("seeds must be in 1.." + PlanItem.MAX_SEEDS + ", got " + seeds);
        }
    }

    /** The (model, sampling) slices, e.g. {@code toy-wan/s20-g4}, in expansion order. */
    public List<String> slices() {
        List<String> out = new ArrayList<>();
        for (String m : models) {
            for (Sampling s : sampling) {
                out.add(m + "/" + s.label());
            }
        }
        return out;
    }

    /** The (method, bits) arms of each slice, in expansion order: fp once, then each method at each bit width. */
    public List<String[]> arms() {
        List<String[]> out = new ArrayList<>();
        for (String method : methods) {
            if (method.equals(PlanItem.FP)) {
                out.add(new String[] {method, fpBits});
            } else {
                bits.forEach(b -> out.add(new String[] {method, b}));
            }
        }
        return out;
    }

    /** Reads the prompts and expands the plan with {@link PlanContext#defaults()}. */
    public List<PlanItem> expand() {
        return expand(PlanContext.defaults());
    }

    /**
     * Every item, in a fixed order: model, sampling setting, arm (methods in plan order, each at
     * each bit width), prompt (suite order), seed.
     *
     * @throws PlanException when the prompt suite cannot be read
     */
    public List<PlanItem> expand(PlanContext ctx) {
        List<PlanPrompt> prompts = PromptSuites.resolve(this.prompts, baseDir, ctx);
        List<PlanItem> items = new ArrayList<>();
        for (String model : models) {
            for (Sampling s : sampling) {
                String slice = model + "/" + s.label();
                for (String[] arm : arms()) {
                    String armKey = arm[0].equals(PlanItem.FP) ? PlanItem.FP : arm[0] + "-" + arm[1];
                    for (PlanPrompt p : prompts) {
                        for (int k = 0; k < seeds; k++) {
                            items.add(new PlanItem(items.size(), PlanItem.id(slice, armKey, p.index(), k), slice,
                                    model, s, arm[0], arm[1], p, k, PlanItem.seedOf(p.index(), k)));
                        }
                    }
                }
            }
        }
        return List.copyOf(items);
    }

    /**
     * Where an item's slice keeps its results under a run directory: the run directory itself
     * when the plan has one slice, else {@code <out>/<model>/<sampling>} (one results table per
     * slice, since result rows name neither).
     */
    public Path sliceDir(Path out, String slice) {
        return slices().size() == 1 ? out : out.resolve(slice);
    }

    /** The plan as the map a plan file holds (relative prompt paths made absolute), for run manifests. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        if (!description.isEmpty()) {
            m.put("description", description);
        }
        m.put("models", models);
        m.put("methods", methods);
        m.put("bits", bits);
        m.put("fp_bits", fpBits);
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("suite", prompts.suite().key());
        if (prompts.path() != null) {
            Path path = prompts.path().isAbsolute() || baseDir == null ? prompts.path() : baseDir.resolve(prompts.path());
            p.put("path", path.toAbsolutePath().normalize().toString());
        }
        if (!prompts.dimensions().isEmpty()) {
            p.put("dimensions", prompts.dimensions());
        }
        if (prompts.limit() != null) {
            p.put("limit", prompts.limit());
        }
        m.put("prompts", p);
        m.put("seeds", seeds);
        List<Map<String, Object>> ss = new ArrayList<>();
        for (Sampling s : sampling) {
            Map<String, Object> sm = new LinkedHashMap<>();
            sm.put("steps", s.steps());
            sm.put("guidance", s.guidance());
            if (s.shift() != null) {
                sm.put("shift", s.shift());
            }
            ss.add(sm);
        }
        m.put("sampling", ss);
        return m;
    }
}

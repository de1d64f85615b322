package dev.qvgen.harness.cli;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.harness.Djl;
import dev.qvgen.harness.run.Fingerprint;
import dev.qvgen.harness.run.OutputDir;
import dev.qvgen.harness.run.RunLock;
import dev.qvgen.harness.run.RunSettings;
import dev.qvgen.harness.toy.StudyArm;
import dev.qvgen.harness.toy.ToyQat;
import dev.qvgen.harness.toy.ToyReport;
import dev.qvgen.harness.toy.ToyStudy;
import dev.qvgen.models.toy.ToyPipeline;
import dev.qvgen.quantizer.Methods;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.reports.ResultRow;
import dev.qvgen.suites.plan.PlanContext;
import dev.qvgen.suites.plan.PlanItem;
import dev.qvgen.suites.plan.PlanManifest;
import dev.qvgen.suites.plan.Plans;
import dev.qvgen.suites.plan.PromptSpec;
import dev.qvgen.suites.plan.RunPlan;
import dev.qvgen.suites.plan.Sampling;
import dev.qvgen.suites.plan.Shard;
import dev.qvgen.suites.toy.ToyPrompt;
import dev.qvgen.suites.toy.ToyPromptSuite;
import dev.qvgen.suites.toy.ToyScene;
import dev.qvgen.suites.toy.ToyWorld;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The main job: a run plan on the toy world, end to end, resumable and shardable. Without
 * {@code --plan} the plan is the built-in toy-smoke shaped by the flags.
 */
@Command(name = "reproduce", mixinStandardHelpOptions = true,
        description = "Run the study on the embedded toy world: train or calibrate each quantization method, "
                + "generate the prompt suite with each method and bit width, encode and decode the videos as H.264 "
                + "MP4, score them and write results and reports. Re-running with the same --out resumes and skips "
                + "finished work; --shard i/n runs one of n parts (join them with `qvgen merge`).")
public final class ReproduceCommand implements Callable<Integer> {
    private static final List<String> PLAN_FIXED = List.of("--methods", "--bits", "--seeds", "--steps", "--guidance",
            "--prompts");

    @Spec
    CommandSpec spec;

    @Option(names = "--out", description = "Run directory (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("runs/toy-smoke");

    @Option(names = "--plan", description = "Run plan: a built-in name (see `qvgen plan`) or a YAML file; it fixes "
            + "methods, bits, prompts, seeds and sampling (default: toy-smoke shaped by the flags below).")
    String plan;

    @Option(names = "--shard", description = "Run only part i of n of the plan's items (0-based, e.g. 2/8).")
    String shard;

    @Option(names = "--model", description = "Toy model checkpoint directory (default: ${DEFAULT-VALUE}).")
    Path model = Defaults.TOY_MODEL;

    @Option(names = "--methods", split = ",", description = "Methods (default: ${DEFAULT-VALUE}; known: "
            + "fp, rtn, vidit-q, svdquant, lsq, qdm, efficientdm, qvgen).")
    List<String> methods = List.of("fp", "rtn", "lsq", "qvgen");

    @Option(names = "--bits", split = ",", description = "Bit widths for quantized methods (default: ${DEFAULT-VALUE}).")
    List<String> bits = List.of("w4a4", "w3a3");

    @Option(names = "--seeds", description = "Videos per prompt (default: ${DEFAULT-VALUE}).")
    int seeds = 2;

    @Option(names = "--steps", description = "Sampling steps (default: ${DEFAULT-VALUE}).")
    int steps = ToyPipeline.Settings.defaults().steps();

    @Option(names = "--guidance", description = "Classifier-free guidance scale (default: ${DEFAULT-VALUE}).")
    float guidance = ToyPipeline.Settings.defaults().guidanceScale();

    @Option(names = "--prompts", description = "Prompt file, one toy caption per line (default: the 32-prompt toy "
            + "suite).")
    Path prompts;

    @Option(names = "--batch", description = "Videos generated together (default: ${DEFAULT-VALUE}).")
    int batch = 16;

    @Option(names = "--qat-steps", description = "QAT steps per quantization-aware arm (default: ${DEFAULT-VALUE}).")
    int qatSteps = ToyQat.Settings.defaults().steps();

    @Option(names = "--qat-batch", description = "QAT batch size (default: ${DEFAULT-VALUE}).")
    int qatBatch = ToyQat.Settings.defaults().batch();

    @Option(names = "--device", defaultValue = "cpu", converter = DeviceConverter.class, description = "cpu or cuda:N: "
            + "where QAT, calibration and generation run (default: ${DEFAULT-VALUE}; bit-identical videos per seed "
            + "hold on the CPU); scoring stays on the CPU.")
    ai.djl.Device device;

    @Option(names = "--threads", description = "Intra-op threads (default: all cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--restart-changed", description = "When --out holds a run made with other settings, redo the "
            + "arms whose videos depend on what changed (their videos, QAT and calibration) and keep the rest; "
            + "without it such a rerun is refused.")
    boolean restartChanged;

    /** The run directory's record of its settings (see {@link RunSettings}). */
    public static final String SETTINGS_FILE = "run-settings.json";

    @Override
    public Integer call() throws Exception {
        // Every argument is checked before anything is written into --out: a rejected command
        // leaves a finished run as it was.
        if (seeds < 1 || steps < 1 || batch < 1 || qatSteps < 1 || qatBatch < 1) {
            throw new BadInputException("--seeds, --steps, --batch, --qat-steps and --qat-batch must be positive");
        }
        if (threads < 1) {
            throw new BadInputException("--threads must be at least 1, got " + threads);
        }
        RunPlan runPlan = runPlan();
        Shard part = shard();
        if (!runPlan.models().equals(List.of("toy-wan"))) {
            throw new BadInputException("plan " + runPlan.name() + " names models " + runPlan.models() + ": reproduce "
                    + "runs the toy world (toy-wan) only; generate zoo models with `qvgen generate`");
        }
        if (!Files.isDirectory(model)) {
            throw new BadInputException(model + ": checkpoint directory not found");
        }
        List<PlanItem> all = expand(runPlan);
        List<PlanItem> mine = part.select(all);
        // One study per sampling setting (slice); each arm's work is all its items, this shard's marked.
        Map<String, List<PlanItem>> bySlice = new LinkedHashMap<>();
        all.forEach(i -> bySlice.computeIfAbsent(i.slice(), k -> new ArrayList<>()).add(i));
        java.util.Set<String> mineIds = new java.util.HashSet<>();
        mine.forEach(i -> mineIds.add(i.id()));
        Map<String, List<ToyStudy.Work>> works = new LinkedHashMap<>();
        for (var slice : bySlice.entrySet()) {
            works.put(slice.getKey(), work(slice.getValue(), mineIds)); // unknown methods, bad prompts: refused here
        }
        RunSettings settings = settings(runPlan, part, all, works);
        OutputDir.create("--out", out);
        try (RunLock lock = RunLock.acquire(out, "reproduce", System.err)) {
            restartChangedArms(runPlan, settings);
            settings.write(out.resolve(SETTINGS_FILE));
            Djl.configure(threads);
            long t0 = System.nanoTime();
            PlanManifest.write(out, runPlan, part);
            for (var slice : bySlice.entrySet()) {
                Sampling smp = slice.getValue().get(0).sampling();
                List<ToyStudy.Work> work = works.get(slice.getKey());
                if (work.isEmpty()) {
                    continue;
                }
                Path dir = runPlan.sliceDir(out, slice.getKey());
                ToyStudy study = new ToyStudy(ToyWorld.defaults(), model,
                        new ToyStudy.Settings(toySampling(smp), batch, qatSettings(), device), System.out);
                List<ResultRow> rows = study.run(dir, work);
                ToyReport.write(dir, rows, ToyStudy.METRICS, model);
                System.out.printf("wrote %s (results.csv, results.json, report.md, report.html)%n", dir);
            }
            System.out.printf(Locale.ROOT, "%s: %d of %d items (shard %s) in %.1f s%n", runPlan.name(), mine.size(),
                    all.size(), part, (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }

    private static ToyPipeline.Settings toySampling(Sampling smp) {
        return new ToyPipeline.Settings(smp.steps(), (float) smp.guidance(),
                smp.shift() == null ? ToyPipeline.Settings.defaults().shift() : smp.shift());
    }

    /**
     * What this run's results depend on: the plan's own settings, the prompts' texts, the toy
     * model's weights, the generation batch and the QAT recipe; per arm, a fingerprint of all that
     * the arm's videos depend on.
     */
    private RunSettings settings(RunPlan p, Shard part, List<PlanItem> all, Map<String, List<ToyStudy.Work>> works) {
        Map<String, String> s = planSettings(p, part, all);
        String modelId = Fingerprint.ofDirectory(model);
        s.put("model", modelId);
        s.put("batch", String.valueOf(batch));
        ToyQat.Settings q = qatSettings();
        String qat = "steps=" + q.steps() + " batch=" + q.batch();
        s.put("qat", qat);
        Map<String, String> items = new LinkedHashMap<>();
        works.forEach((slice, ws) -> {
            for (ToyStudy.Work w : ws) {
                StringBuilder samples = new StringBuilder();
                w.all().forEach(x -> samples.append(x.prompt().caption()).append('#').append(x.seedIndex()).append('\n'));
                items.put(slice + "/" + w.arm().key(), Fingerprint.of(modelId, slice, String.valueOf(batch),
                        w.arm().key(), samples.toString(), Methods.get(w.arm().method()).isQat() ? qat : "",
                        w.owned().toString()));
            }
        });
        return new RunSettings("reproduce", s, items, Map.of("qvgen", QVGEN_VERSION));
    }

    static final String QVGEN_VERSION = "qvgen 0.1.0";

    /** The settings a plan fixes; also derivable from an older run's plan.yaml. */
    private static Map<String, String> planSettings(RunPlan p, Shard part, List<PlanItem> all) {
        Map<String, String> s = new LinkedHashMap<>();
        Map<String, Object> m = p.toMap();
        s.put("plan", p.name());
        s.put("methods", String.valueOf(m.get("methods")));
        s.put("bits", String.valueOf(m.get("bits")));
        s.put("seeds", String.valueOf(m.get("seeds")));
        s.put("sampling", String.valueOf(m.get("sampling")));
        java.util.LinkedHashSet<String> texts = new java.util.LinkedHashSet<>();
        all.forEach(i -> texts.add(i.prompt().text()));
        s.put("prompts", texts.size() + " prompts, " + Fingerprint.of(texts.toArray(String[]::new)));
        s.put("shard", part.toString());
        return s;
    }

    /**
     * Compares this run with what --out holds; refuses a rerun with other settings, or with
     * --restart-changed deletes the changed arms' videos, QAT and calibration work.
     */
    private void restartChangedArms(RunPlan p, RunSettings now) throws IOException {
        Path file = out.resolve(SETTINGS_FILE);
        java.util.Optional<RunSettings> recorded = RunSettings.read(file);
        RunSettings before;
        RunSettings compared = now;
        if (recorded.isPresent()) {
            before = recorded.get();
        } else if (Files.exists(out.resolve(PlanManifest.PLAN_FILE))) {
            // a run directory from before run-settings.json: its plan.yaml is what it knows
            PlanManifest.Entry e;
            try {
                e = PlanManifest.read(out);
            } catch (RuntimeException ex) {
                throw new BadInputException(out.resolve(PlanManifest.PLAN_FILE) + ": " + ex.getMessage());
            }
            before = new RunSettings("reproduce", planSettings(e.plan(), e.shard(), expand(e.plan())), Map.of(),
                    Map.of());
            Map<String, String> common = new LinkedHashMap<>(now.settings());
            common.keySet().retainAll(before.settings().keySet());
            compared = new RunSettings("reproduce", common, now.items(), Map.of());
        } else {
            return;
        }
        List<String> differences = compared.differences(before);
        if (differences.isEmpty()) {
            return;
        }
        if (!restartChanged) {
            throw new BadInputException(RunSettings.refusal(out, differences));
        }
        System.out.println("reproduce: settings changed (" + String.join("; ", differences) + ")");
        for (String item : now.changedItems(before)) {
            int slash = item.lastIndexOf('/');
            Path dir = p.sliceDir(out, item.substring(0, slash));
            String arm = item.substring(slash + 1);
            boolean had = false;
            for (Path d : List.of(dir.resolve("videos").resolve(arm), dir.resolve("qat").resolve(arm),
                    dir.resolve("ptq").resolve(arm))) {
                had |= deleteTree(d);
            }
            if (had) {
                System.out.println("reproduce: " + arm + (dir.equals(out) ? "" : " (" + out.relativize(dir) + ")")
                        + " depends on what changed: starting it afresh");
            }
        }
    }

    private static boolean deleteTree(Path d) throws IOException {
        if (!Files.exists(d)) {
            return false;
        }
        try (java.util.stream.Stream<Path> s = Files.walk(d)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
        return true;
    }

    private RunPlan runPlan() {
        if (plan == null) {
            PromptSpec ps = prompts == null ? new PromptSpec(PromptSpec.Suite.TOY, null, List.of(), null)
                    : new PromptSpec(PromptSpec.Suite.FILE, prompts.toAbsolutePath(), List.of(), null);
            try {
                return new RunPlan("toy-smoke", "toy-smoke shaped by reproduce's flags", List.of("toy-wan"),
                        methods.stream().map(m -> m.trim().toLowerCase(Locale.ROOT)).toList(),
                        bits.stream().map(b -> b.trim().toLowerCase(Locale.ROOT)).toList(), "fp32", ps, seeds,
                        List.of(new Sampling(steps, guidance, null)), "flags", null);
            } catch (IllegalArgumentException e) {
                throw new BadInputException(e.getMessage());
            }
        }
        for (String flag : PLAN_FIXED) {
            if (spec.commandLine().getParseResult().hasMatchedOption(flag)) {
                throw new BadInputException(flag + " cannot be combined with --plan (the plan fixes it)");
            }
        }
        try {
            return Plans.load(plan);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
    }

    private Shard shard() {
        if (shard == null) {
            return Shard.ALL;
        }
        try {
            return Shard.parse(shard);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--shard: " + e.getMessage());
        }
    }

    private static List<PlanItem> expand(RunPlan p) {
        try {
            return p.expand(PlanContext.defaults());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
    }

    /** The arms of one slice, each with all its samples in plan order and this shard's marked. */
    private List<ToyStudy.Work> work(List<PlanItem> items, java.util.Set<String> mineIds) {
        Map<String, List<PlanItem>> byArm = new LinkedHashMap<>();
        items.forEach(i -> byArm.computeIfAbsent(i.arm(), k -> new ArrayList<>()).add(i));
        List<ToyPrompt> standard = ToyPromptSuite.standard();
        List<ToyStudy.Work> work = new ArrayList<>();
        for (List<PlanItem> armItems : byArm.values()) {
            PlanItem first = armItems.get(0);
            StudyArm arm = arm(first);
            List<ToyStudy.Sample> samples = new ArrayList<>();
            BitSet owned = new BitSet();
            for (PlanItem i : armItems) {
                if (mineIds.contains(i.id())) {
                    owned.set(samples.size());
                }
                samples.add(new ToyStudy.Sample(toyPrompt(i, standard), i.seedIndex()));
                if (i.seed() != ToyStudy.seed(samples.get(samples.size() - 1).prompt(), i.seedIndex())) {
                    throw new IllegalStateException("plan seed " + i.seed() + " differs from the toy study's");
                }
            }
            if (!owned.isEmpty()) {
                work.add(new ToyStudy.Work(arm, samples, owned));
            }
        }
        return work;
    }

    private static StudyArm arm(PlanItem i) {
        if (i.isFullPrecision()) {
            return new StudyArm(StudyArm.FP, null);
        }
        if (!ToyStudy.METHODS.contains(i.method())) {
            throw new BadInputException("unknown method '" + i.method() + "' (known: " + String.join(", ",
                    ToyStudy.METHODS) + ")");
        }
        try {
            return new StudyArm(i.method(), QuantSpec.parse(i.bits()));
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
    }

    /** The toy prompt of a plan item: the standard suite's by index, or a caption the toy world can parse. */
    private static ToyPrompt toyPrompt(PlanItem i, List<ToyPrompt> standard) {
        int idx = i.prompt().index();
        if (idx < standard.size() && standard.get(idx).caption().equals(i.prompt().text())) {
            return standard.get(idx);
        }
        try {
            return new ToyPrompt(idx, i.prompt().text(), ToyScene.parse(i.prompt().text()));
        } catch (IllegalArgumentException e) {
            throw new BadInputException("prompt " + idx + " '" + i.prompt().text() + "' is not a toy-world caption ("
                    + e.getMessage() + ")");
        }
    }

    private ToyQat.Settings qatSettings() {
        return ToyQat.Settings.defaults().withSteps(qatSteps, qatBatch);
    }
}

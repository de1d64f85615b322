package dev.qvgen.harness.cli;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.harness.Djl;
import dev.qvgen.harness.run.Fingerprint;
import dev.qvgen.harness.run.OutputDir;
import dev.qvgen.harness.run.RunLock;
import dev.qvgen.harness.run.RunSettings;
import dev.qvgen.harness.study.MetricWeights;
import dev.qvgen.harness.study.PtqArm;
import dev.qvgen.harness.study.QatRecipe;
import dev.qvgen.harness.study.Study;
import dev.qvgen.harness.study.StudyArm;
import dev.qvgen.harness.study.StudyModel;
import dev.qvgen.harness.study.StudyReport;
import dev.qvgen.harness.study.ZooStudyModel;
import dev.qvgen.harness.toy.ToyStudyModel;
import dev.qvgen.metrics.MetricRegistry;
import dev.qvgen.metrics.VideoScorer;
import dev.qvgen.metrics.vbench.VBenchBackbones;
import dev.qvgen.suites.vbench.VBenchDimensions;
import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.models.toy.ToyPipeline;
import dev.qvgen.models.zoo.ModelRegistry;
import dev.qvgen.models.zoo.ModelSpec;
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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * The main job: a run plan end to end, on the embedded toy world or on a zoo model, resumable and
 * shardable. Without {@code --plan} the plan is the built-in toy-smoke shaped by the flags. Every
 * model runs through the same {@link Study}; what differs is its {@link StudyModel}.
 */
@Command(name = "reproduce", mixinStandardHelpOptions = true,
        description = "Run the study: train or calibrate each quantization method, generate the prompt suite with "
                + "each method and bit width, encode and decode the videos as H.264 MP4, score them and write results "
                + "and reports. Without --plan: the embedded toy world. With --plan paper-<model>: that zoo model "
                + "from --model-dir (or --pipeline-dir) with QAT data from --data and VBench weights from "
                + "--metric-weights. Re-running with the same --out resumes and skips finished work; --shard i/n "
                + "runs one of n parts (join them with `qvgen merge`).")
public final class ReproduceCommand implements Callable<Integer> {
    /** Flags a plan fixes; the others below may narrow or shrink a plan for a smoke run. */
    private static final List<String> PLAN_FIXED = List.of("--seeds", "--guidance", "--prompts");

    @Spec
    CommandSpec spec;

    @Option(names = "--out", description = "Run directory (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("runs/toy-smoke");

    @Option(names = "--plan", description = "Run plan: a built-in name (see `qvgen plan`) or a YAML file; it fixes "
            + "models, methods, bits, prompts, seeds and sampling (default: toy-smoke shaped by the flags below).")
    String plan;

    @Option(names = "--shard", description = "Run only part i of n of the plan's items (0-based, e.g. 2/8).")
    String shard;

    @Option(names = "--model", description = "Toy model checkpoint directory (default: ${DEFAULT-VALUE}).")
    Path model = Defaults.TOY_MODEL;

    @Option(names = "--model-dir", description = "The plan's zoo model: its published diffusers checkpoint.")
    Path modelDir;

    @Option(names = "--pipeline-dir", description = "Any diffusers text-to-video pipeline in place of --model-dir "
            + "(e.g. a shrunk golden one, for a smoke run).")
    Path pipelineDir;

    @Option(names = "--data", description = "Encoded training clips (`qvgen data prepare`), for the QAT and "
            + "calibrated arms of a zoo model.")
    Path data;

    @Option(names = "--metric-weights", description = "Folder of VBench's weight files by their published names; a "
            + "missing file makes its dimensions unavailable (see docs/STUDY.md).")
    Path metricWeights;

    @Option(names = "--methods", split = ",", description = "Methods (default: ${DEFAULT-VALUE}; with --plan, a subset "
            + "of the plan's). Known: the methods registry (see `qvgen plan`).")
    List<String> methods = List.of("fp", "rtn", "lsq", "qvgen");

    @Option(names = "--bits", split = ",", description = "Bit widths for quantized methods (default: ${DEFAULT-VALUE}; "
            + "with --plan, a subset of the plan's).")
    List<String> bits = List.of("w4a4", "w3a3");

    @Option(names = "--seeds", description = "Videos per prompt (default: ${DEFAULT-VALUE}).")
    int seeds = 2;

    @Option(names = "--steps", description = "Sampling steps (default: ${DEFAULT-VALUE}; with --plan, replaces the "
            + "plan's).")
    int steps = ToyPipeline.Settings.defaults().steps();

    @Option(names = "--guidance", description = "Classifier-free guidance scale (default: ${DEFAULT-VALUE}).")
    float guidance = ToyPipeline.Settings.defaults().guidanceScale();

    @Option(names = "--prompts", description = "Prompt file, one toy caption per line (default: the 32-prompt toy "
            + "suite).")
    Path prompts;

    @Option(names = "--prompts-limit", description = "Only the first N prompts of the plan's suite.")
    Integer promptsLimit;

    @Option(names = "--frames", description = "Zoo model: frames per video (default: the model's published count).")
    Integer frames;

    @Option(names = "--height", description = "Zoo model: video height (default: the model's published size).")
    Integer height;

    @Option(names = "--width", description = "Zoo model: video width (default: the model's published size).")
    Integer width;

    @Option(names = "--batch", description = "Toy: videos generated together (default: ${DEFAULT-VALUE}).")
    int batch = 16;

    @Option(names = "--qat-steps", description = "QAT steps per quantization-aware arm (default: toy "
            + "${DEFAULT-VALUE}; zoo: the official recipe's).")
    Integer qatSteps;

    @Option(names = "--qat-batch", description = "QAT samples per forward (toy default 8; zoo default 1, the rest of "
            + "the recipe's batch by gradient accumulation).")
    Integer qatBatch;

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

    static final String QVGEN_VERSION = "qvgen 0.1.0";

    @Override
    public Integer call() throws Exception {
        // Every argument is checked before anything is written into --out: a rejected command
        // leaves a finished run as it was.
        if (threads < 1) {
            throw new BadInputException("--threads must be at least 1, got " + threads);
        }
        if (seeds < 1 || steps < 1 || batch < 1 || (qatSteps != null && qatSteps < 1)
                || (qatBatch != null && qatBatch < 1) || (promptsLimit != null && promptsLimit < 1)) {
            throw new BadInputException("--seeds, --steps, --batch, --qat-steps, --qat-batch and --prompts-limit must "
                    + "be positive");
        }
        RunPlan runPlan = runPlan();
        Shard part = shard();
        List<PlanItem> all = expand(runPlan);
        List<PlanItem> mine = part.select(all);
        Map<String, StudyModel> models = new LinkedHashMap<>();
        for (String m : runPlan.models()) {
            models.put(m, studyModel(m));
        }
        try {
            // every arm is checked before anything is written into --out
            Map<String, StudyArm> arms = new LinkedHashMap<>();
            all.forEach(i -> arms.computeIfAbsent(i.arm(), k -> arm(i)));
            boolean trains = arms.values().stream().anyMatch(a -> !a.method().equals(StudyArm.FP)
                    && (Methods.get(a.method()).isQat() || Methods.get(a.method()).isCalibrated()));
            if (trains && data == null && runPlan.models().stream().anyMatch(m -> !m.equals(ModelSpec.TOY))) {
                throw new BadInputException("the plan's QAT and calibrated arms on " + runPlan.models()
                        + " need --data "
                        + "(clips encoded by `qvgen data prepare`)");
            }
            // One study per (model, sampling) slice; each arm's work is all its items, this shard's marked.
            Map<String, List<PlanItem>> bySlice = new LinkedHashMap<>();
            all.forEach(i -> bySlice.computeIfAbsent(i.slice(), k -> new ArrayList<>()).add(i));
            Set<String> mineIds = new HashSet<>();
            mine.forEach(i -> mineIds.add(i.id()));
            Map<String, List<Study.Work>> works = new LinkedHashMap<>();
            for (var slice : bySlice.entrySet()) {
                // bad prompts refused here, before --out is touched
                works.put(slice.getKey(), work(slice.getValue(), mineIds, arms,
                        models.get(slice.getValue().get(0).model()) instanceof ToyStudyModel));
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
                    List<Study.Work> work = works.get(slice.getKey());
                    if (work.isEmpty()) {
                        continue;
                    }
                    PlanItem first = slice.getValue().get(0);
                    StudyModel sm = models.get(first.model());
                    boolean toy = sm instanceof ToyStudyModel;
                    Path dir = runPlan.sliceDir(out, slice.getKey());
                    Sampling smp = first.sampling();
                    StudyModel.Sampling sampling = new StudyModel.Sampling(smp.steps(), smp.guidance(), smp.shift(),
                            0, 0,
                            0);
                    try (Scoring scoring = scoring(toy)) {
                        Study study = new Study(sm, new Study.Settings(sampling, recipe(first.model()),
                                PtqArm.Settings.defaults(), device, scoring.metrics), scoring.scorer, System.out);
                        List<ResultRow> rows = study.run(dir, work);
                        StudyReport.write(dir, rows, study.dimensions(), sm.name(), toy ? model : null);
                    }
                    System.out.printf("wrote %s (results.csv, results.json, report.md, report.html, paper.md)%n", dir);
                }
                System.out.printf(Locale.ROOT, "%s: %d of %d items (shard %s) in %.1f s%n", runPlan.name(), mine.size(),
                        all.size(), part, (System.nanoTime() - t0) / 1e9);
            }
            return 0;
        } finally {
            models.values().forEach(StudyModel::close);
        }
    }

    /**
     * What this run's results depend on: the plan's own settings, the prompts' texts, each model's
     * weights (and training clips), the generation batch and the QAT recipe; per arm, a
     * fingerprint of all that the arm's videos depend on.
     */
    private RunSettings settings(RunPlan p, Shard part, List<PlanItem> all, Map<String, List<Study.Work>> works) {
        Map<String, String> s = planSettings(p, part, all);
        Map<String, String> modelIds = new LinkedHashMap<>();
        for (String m : p.models()) {
            String id = Fingerprint.ofDirectory(m.equals(ModelSpec.TOY) ? model
                    : pipelineDir != null ? pipelineDir : modelDir);
            if (!m.equals(ModelSpec.TOY) && data != null) {
                id = Fingerprint.of(id, Fingerprint.ofDirectory(data));
            }
            modelIds.put(m, id);
            s.put("model " + m, id);
        }
        s.put("batch", String.valueOf(batch));
        Map<String, String> qat = new LinkedHashMap<>();
        p.models().forEach(m -> {
            QatRecipe r = recipe(m);
            qat.put(m, "steps=" + r.steps() + " batch=" + r.batch() + "x" + r.gradAccum());
        });
        s.put("qat", qat.toString());
        if (frames != null || height != null || width != null) {
            s.put("size", frames + "x" + height + "x" + width);
        }
        Map<String, String> items = new LinkedHashMap<>();
        works.forEach((slice, ws) -> {
            String m = slice.substring(0, slice.indexOf('/'));
            for (Study.Work w : ws) {
                StringBuilder samples = new StringBuilder();
                w.all().forEach(x -> samples.append(x.prompt()).append('#').append(x.seedIndex()).append('\n'));
                boolean trains = Methods.get(w.arm().method()).isQat() || Methods.get(w.arm().method()).isCalibrated();
                items.put(slice + "/" + w.arm().key(), Fingerprint.of(modelIds.get(m), slice, String.valueOf(batch),
                        w.arm().key(), samples.toString(), trains ? qat.get(m) : "", String.valueOf(s.get("size")),
                        w.owned().toString()));
            }
        });
        return new RunSettings("reproduce", s, items, Map.of("qvgen", QVGEN_VERSION));
    }

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
                had |= dev.qvgen.layers.io.FileTrees.delete(d);
            }
            if (had) {
                System.out.println("reproduce: " + arm + (dir.equals(out) ? "" : " (" + out.relativize(dir) + ")")
                        + " depends on what changed: starting it afresh");
            }
        }
    }

    /** The metrics of a slice and the scorer that computes them. */
    private record Scoring(List<String> metrics, VideoScorer scorer, VBenchBackbones backbones)
            implements AutoCloseable {
        @Override
        public void close() {
            if (backbones != null) {
                backbones.close();
            }
        }
    }

    /**
     * The toy: its ground-truth scores and the two classical VBench dimensions. A zoo model: the
     * paper's eight VBench dimensions whose weights are in {@code --metric-weights}; the others are
     * named unavailable here and absent from the rows.
     */
    private Scoring scoring(boolean toy) {
        if (toy) {
            return new Scoring(ToyStudyModel.METRICS, VideoScorer.standard(), null);
        }
        VBenchBackbones backbones = new VBenchBackbones(MetricWeights.in(metricWeights), ai.djl.Device.cpu());
        MetricRegistry registry = MetricRegistry.vbench(backbones);
        List<String> metrics = new ArrayList<>();
        for (var m : registry.resolve(VBenchDimensions.PAPER)) {
            if (m.unavailableReason().isPresent()) {
                System.out.println("unavailable: " + m.name() + " (" + m.unavailableReason().get() + ")");
            } else {
                metrics.add(m.name());
            }
        }
        try {
            backbones.preload(metrics); // a bad weight file fails here, before any video
        } catch (RuntimeException e) {
            backbones.close();
            throw new BadInputException(e.getMessage());
        }
        return new Scoring(metrics, new VideoScorer(registry), backbones);
    }

    private QatRecipe recipe(String modelName) {
        if (modelName.equals(ModelSpec.TOY)) {
            QatRecipe toy = QatRecipe.toy();
            return toy.withSteps(qatSteps == null ? toy.steps() : qatSteps, qatBatch == null ? toy.batch() : qatBatch);
        }
        boolean wan = ModelRegistry.get(modelName).family().name().startsWith("wan");
        QatRecipe official = QatRecipe.official(wan, qatBatch == null ? 1 : qatBatch);
        return qatSteps == null ? official : official.withSteps(qatSteps, official.batch());
    }

    private StudyModel studyModel(String name) {
        if (name.equals(ModelSpec.TOY)) {
            if (!Files.isDirectory(model)) {
                throw new BadInputException(model + ": checkpoint directory not found");
            }
            return new ToyStudyModel(ToyWorld.defaults(), model, batch);
        }
        ModelSpec zoo = ModelRegistry.get(name);
        Path dir = pipelineDir != null ? pipelineDir : modelDir;
        if (dir == null) {
            throw new BadInputException("plan model " + name + " needs --model-dir (its published diffusers "
                    + "checkpoint) "
                    + "or --pipeline-dir");
        }
        if (modelDir != null && pipelineDir != null) {
            throw new BadInputException("give --model-dir or --pipeline-dir, not both");
        }
        try {
            if (pipelineDir == null) {
                ModelRegistry.checkDirectory(name, modelDir);
            } else if (!dev.qvgen.models.family.ModelFamilies.of(pipelineDir).equals(zoo.family())
                    && !dev.qvgen.models.family.ModelFamilies.of(pipelineDir).pipelineClass()
                            .equals(zoo.pipelineClass())) {
                throw new BadInputException(pipelineDir + ": a " + dev.qvgen.models.family.ModelFamilies.of(pipelineDir)
                        .pipelineClass() + ", but " + name + " is a " + zoo.pipelineClass());
            }
        } catch (CheckpointException e) {
            throw new BadInputException(e.getMessage());
        }
        var s = zoo.sampling();
        return new ZooStudyModel(name, dir, data == null ? null : latentSource(data), s.fps(),
                frames == null ? s.frames() : frames, height == null ? s.height() : height,
                width == null ? s.width() : width);
    }

    /** The encoded clips of {@code qvgen data prepare} in {@code dir}. */
    private static dev.qvgen.harness.study.LatentSource latentSource(Path dir) {
        return dev.qvgen.harness.data.LatentDataset.open(dir);
    }

    private RunPlan runPlan() {
        if (plan == null) {
            PromptSpec ps = prompts == null ? new PromptSpec(PromptSpec.Suite.TOY, null, List.of(), promptsLimit)
                    : new PromptSpec(PromptSpec.Suite.FILE, prompts.toAbsolutePath(), List.of(), promptsLimit);
            try {
                return new RunPlan("toy-smoke", "toy-smoke shaped by reproduce's flags", List.of(ModelSpec.TOY),
                        lower(methods), lower(bits), "fp32", ps, seeds, List.of(new Sampling(steps, guidance, null)),
                        "flags", null);
            } catch (IllegalArgumentException e) {
                throw new BadInputException(e.getMessage());
            }
        }
        for (String flag : PLAN_FIXED) {
            if (matched(flag)) {
                throw new BadInputException(flag + " cannot be combined with --plan (the plan fixes it)");
            }
        }
        RunPlan p;
        try {
            p = Plans.load(plan);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
        return narrowed(p);
    }

    /**
     * The plan narrowed by the smoke-run flags: a subset of its methods and bits, fewer prompts,
     * other sampling steps. The run's plan.yaml records the narrowed plan, so shards and merge
     * agree on it.
     */
    private RunPlan narrowed(RunPlan p) {
        List<String> ms = p.methods();
        List<String> bs = p.bits();
        if (matched("--methods")) {
            ms = subset(lower(methods), p.methods(), "--methods", "methods");
        }
        if (matched("--bits")) {
            bs = subset(lower(bits), p.bits(), "--bits", "bits");
        }
        PromptSpec ps = p.prompts();
        if (promptsLimit != null) {
            ps = new PromptSpec(ps.suite(), ps.path(), ps.dimensions(),
                    ps.limit() == null ? promptsLimit : Math.min(ps.limit(), promptsLimit));
        }
        List<Sampling> sampling = p.sampling();
        if (matched("--steps")) {
            sampling = sampling.stream().map(s -> new Sampling(steps, s.guidance(), s.shift())).distinct().toList();
        }
        if (ms.equals(p.methods()) && bs.equals(p.bits()) && ps.equals(p.prompts()) && sampling.equals(p.sampling())) {
            return p;
        }
        try {
            return new RunPlan(p.name(), p.description() + " (narrowed by reproduce's flags)", p.models(), ms, bs,
                    p.fpBits(), ps, p.seeds(), sampling, p.source(), p.baseDir());
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
    }

    private static List<String> subset(List<String> wanted, List<String> of, String flag, String what) {
        for (String w : wanted) {
            if (!of.contains(w)) {
                throw new BadInputException(flag + ": '" + w + "' is not among the plan's " + what + " " + of);
            }
        }
        return of.stream().filter(wanted::contains).toList();
    }

    private boolean matched(String flag) {
        return spec.commandLine().getParseResult().hasMatchedOption(flag);
    }

    private static List<String> lower(List<String> names) {
        return names.stream().map(m -> m.trim().toLowerCase(Locale.ROOT)).toList();
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
    private static List<Study.Work> work(List<PlanItem> items, Set<String> mineIds, Map<String, StudyArm> arms,
            boolean toy) {
        Map<String, List<PlanItem>> byArm = new LinkedHashMap<>();
        items.forEach(i -> byArm.computeIfAbsent(i.arm(), k -> new ArrayList<>()).add(i));
        List<Study.Work> work = new ArrayList<>();
        for (List<PlanItem> armItems : byArm.values()) {
            StudyArm arm = arms.get(armItems.get(0).arm());
            List<Study.Sample> samples = new ArrayList<>();
            BitSet owned = new BitSet();
            for (PlanItem i : armItems) {
                if (mineIds.contains(i.id())) {
                    owned.set(samples.size());
                }
                if (toy) {
                    checkToyCaption(i);
                }
                Study.Sample s = new Study.Sample(i.prompt().index(), i.prompt().text(), i.seedIndex());
                if (i.seed() != s.seed()) {
                    throw new IllegalStateException("plan seed " + i.seed() + " differs from the study's " + s.seed());
                }
                samples.add(s);
            }
            if (!owned.isEmpty()) {
                work.add(new Study.Work(arm, samples, owned));
            }
        }
        return work;
    }

    private static StudyArm arm(PlanItem i) {
        if (i.isFullPrecision()) {
            return new StudyArm(StudyArm.FP, null);
        }
        if (!Methods.names().contains(i.method())) {
            throw new BadInputException("unknown method '" + i.method() + "' (known: "
                    + String.join(", ", Methods.names()) + ")");
        }
        try {
            return new StudyArm(i.method(), QuantSpec.parse(i.bits()));
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
    }

    /** A toy plan's prompt must be a caption the toy world can parse (its scorer reads the caption). */
    private static void checkToyCaption(PlanItem i) {
        try {
            ToyScene.parse(i.prompt().text());
        } catch (IllegalArgumentException e) {
            throw new BadInputException("prompt " + i.prompt().index() + " '" + i.prompt().text()
                    + "' is not a toy-world caption (" + e.getMessage() + ")");
        }
    }
}

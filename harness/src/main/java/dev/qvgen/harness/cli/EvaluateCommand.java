package dev.qvgen.harness.cli;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.harness.Djl;
import dev.qvgen.harness.Progress;
import dev.qvgen.harness.run.Fingerprint;
import dev.qvgen.harness.run.OutputDir;
import dev.qvgen.harness.run.RunLock;
import dev.qvgen.harness.run.RunSettings;
import dev.qvgen.metrics.MetricRegistry;
import dev.qvgen.metrics.backbone.DinoVisionTransformer;
import dev.qvgen.metrics.eval.EvalRecord;
import dev.qvgen.metrics.eval.VBenchEvaluation;
import dev.qvgen.metrics.vbench.VBenchBackbones;
import dev.qvgen.suites.vbench.VBenchDimensions;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** VBench-style scoring of a folder of videos. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Score a folder of videos on VBench dimensions; writes <name>_eval_results.json (VBench's "
                + "layout), <name>_per_video.csv, <name>_scores.json (normalised, Quality/Semantic/Total) and "
                + "<name>_per_video.jsonl (resume log: re-running skips videos already scored). Dimensions whose "
                + "weights are not given are reported as unavailable.")
public final class EvaluateCommand implements Callable<Integer> {
    @Option(names = "--videos", required = true, description = "folder of videos named <prompt>-<i>.mp4 (VBench).")
    Path videos;

    @Option(names = "--prompts", description = "VBench_full_info.json (each prompt scored on its own dimensions) or a "
            + ".txt with one prompt a line; default: prompts from the file names.")
    Path prompts;

    @Option(names = "--dimensions", split = ",", description = "comma-separated dimension names (default: all 16 "
            + "VBench dimensions).")
    List<String> dimensions;

    @Option(names = "--out", required = true, description = "output folder.")
    Path out;

    @Option(names = "--method", defaultValue = "external", description = "method label of the result rows "
            + "(results.csv, for merge, gate and the reports; default: ${DEFAULT-VALUE}).")
    String rowMethod;

    @Option(names = "--bits", defaultValue = "-", description = "bits label of the result rows (default: ${DEFAULT-VALUE}).")
    String rowBits;

    @Option(names = "--name", defaultValue = "qvgen", description = "output file prefix (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--threads", description = "videos scored at once (default: all cores).")
    Integer threads;

    @Option(names = "--dino", description = "dino_vitbase16_pretrain.pth (subject_consistency).")
    Path dino;

    @Option(names = "--clip-b32", description = "ViT-B-32.pt (background_consistency).")
    Path clipB32;

    @Option(names = "--clip-l14", description = "ViT-L-14.pt (aesthetic_quality, with --aesthetic-head).")
    Path clipL14;

    @Option(names = "--aesthetic-head", description = "sa_0_4_vit_l_14_linear.pth (aesthetic_quality).")
    Path aestheticHead;

    @Option(names = "--clip-bpe", description = "bpe_simple_vocab_16e6.txt.gz, CLIP's tokenizer (appearance_style, "
            + "with --clip-b32 and --prompts VBench_full_info.json; overall_consistency and temporal_style, with "
            + "--viclip).")
    Path clipBpe;

    @Option(names = "--raft", description = "raft-things.pth (dynamic_degree with RAFT optical flow).")
    Path raft;

    @Option(names = "--viclip", description = "ViClip-InternVid-10M-FLT.pth (overall_consistency, temporal_style; "
            + "with --clip-bpe).")
    Path viclip;

    @Option(names = "--musiq", description = "musiq_spaq_ckpt-358bb6af.pth, pyiqa's MUSIQ (imaging_quality).")
    Path musiq;

    @Option(names = "--umt", description = "l16_ptk710_ftk710_ftk400_f16_res224.pth, the UMT Kinetics-400 classifier "
            + "(human_action, with --umt-categories).")
    Path umt;

    @Option(names = "--umt-categories", description = "kinetics_400_categories.txt from VBench's third_party/umt: the "
            + "classifier's class names (human_action).")
    Path umtCategories;

    @Option(names = "--tag2text", description = "tag2text_swin_14m.pth, the Tag2Text captioner (scene, with "
            + "--tag2text-tags and --bert-tokenizer).")
    Path tag2text;

    @Option(names = "--tag2text-tags", description = "Tag2Text's tag names: VBench's third_party/tag2Text/tag_class.py, "
            + "or a file with one tag per line (scene).")
    Path tag2textTags;

    @Option(names = "--bert-tokenizer", description = "bert-base-uncased's tokenizer.json, Tag2Text's tokenizer (scene).")
    Path bertTokenizer;

    @Option(names = "--device", defaultValue = "cpu", converter = DeviceConverter.class, description = "cpu or cuda:N: "
            + "where the networks run and the frames go (default: ${DEFAULT-VALUE}); decoding and the classical "
            + "dimensions stay on the CPU.")
    ai.djl.Device device;

    @Option(names = "--amt", description = "amt-s.pth (motion_smoothness with the AMT-S interpolation network).")
    Path amt;

    @Option(names = "--allow-failures", description = "exit 0 even when some videos could not be scored (by default "
            + "that is exit 1, with how many).")
    boolean allowFailures;

    @Option(names = "--restart-changed", description = "when --out holds an evaluation of other videos, prompts or "
            + "weights, score everything afresh instead of refusing (a changed --dimensions needs no flag: missing "
            + "dimensions are scored, the rest kept).")
    boolean restartChanged;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        int cores = Runtime.getRuntime().availableProcessors();
        int workers = threads == null ? cores : threads;
        if (workers < 1) {
            throw new BadInputException("--threads must be at least 1, got " + workers);
        }
        // parallel across videos: each worker runs single-threaded ops; one worker gets every core
        Djl.configure(workers > 1 ? 1 : cores);
        List<String> dims = dimensions == null || dimensions.isEmpty() ? VBenchDimensions.ALL : dimensions;
        if (!Files.isDirectory(videos)) {
            throw new BadInputException(videos + ": not a folder of videos");
        }
        for (Path p : new Path[] {prompts, dino, clipB32, clipL14, aestheticHead, raft, clipBpe, viclip, musiq, amt, umt,
                umtCategories, tag2text, tag2textTags, bertTokenizer}) {
            if (p != null && !Files.isRegularFile(p)) {
                throw new BadInputException(p + ": file not found");
            }
        }
        if ((umt == null) != (umtCategories == null)) {
            throw new BadInputException("human_action needs both --umt and --umt-categories");
        }
        int tag2textParts = (tag2text == null ? 0 : 1) + (tag2textTags == null ? 0 : 1) + (bertTokenizer == null ? 0 : 1);
        if (tag2textParts != 0 && tag2textParts != 3) {
            throw new BadInputException("scene needs all of --tag2text, --tag2text-tags and --bert-tokenizer");
        }
        OutputDir.check("--out", out);
        var weights = new VBenchBackbones.Weights(dino, clipB32, clipL14, aestheticHead, raft, clipBpe,
                DinoVisionTransformer.Config.vitBase16(), viclip, musiq, amt).withUmt(umt, umtCategories)
                .withTag2Text(tag2text, tag2textTags, bertTokenizer);
        try (VBenchBackbones backbones = new VBenchBackbones(weights, device)) {
            MetricRegistry registry = MetricRegistry.vbench(backbones);
            for (String d : dims) {
                if (!registry.names().contains(d)) {
                    throw new BadInputException("unknown dimension '" + d + "'; known: " + registry.names());
                }
            }
            backbones.preload(dims); // a bad weight file fails here, before any video
            if (VBenchEvaluation.videoFiles(videos).isEmpty()) {
                throw new BadInputException(videos + ": no videos (.avi, .gif, .mkv, .mov, .mp4, .webm)");
            }
            RunSettings settings = settings();
            OutputDir.create("--out", out);
            try (RunLock lock = RunLock.acquire(out, "evaluate", System.err)) {
                return evaluate(registry, dims, workers, settings);
            }
        }
    }

    /** What the records in --out depend on: the videos folder, the prompts and every weight file given. */
    private RunSettings settings() {
        java.util.Map<String, String> s = new java.util.LinkedHashMap<>();
        s.put("videos", videos.toAbsolutePath().normalize().toString());
        s.put("prompts", prompts == null ? "(from file names)" : prompts.toAbsolutePath().normalize() + " "
                + Fingerprint.ofFile(prompts));
        for (var o : spec.options()) {
            if (o.typeInfo().getType() == Path.class && o.getValue() != null && !o.longestName().equals("--videos")
                    && !o.longestName().equals("--out") && !o.longestName().equals("--prompts")) {
                Path f = o.getValue();
                s.put(o.longestName(), f.getFileName() + " " + Fingerprint.ofFile(f));
            }
        }
        return new RunSettings("evaluate", s, java.util.Map.of(), java.util.Map.of("qvgen", ReproduceCommand.QVGEN_VERSION));
    }

    private Integer evaluate(MetricRegistry registry, List<String> dims, int workers, RunSettings now) {
        Path file = out.resolve(name + "_run-settings.json");
        java.util.Optional<RunSettings> before = RunSettings.read(file);
        if (before.isPresent()) {
            List<String> differences = now.differences(before.get());
            if (!differences.isEmpty()) {
                if (!restartChanged) {
                    throw new BadInputException(RunSettings.refusal(out, differences));
                }
                Path records = out.resolve(name + "_per_video.jsonl");
                try {
                    Files.deleteIfExists(records);
                } catch (java.io.IOException e) {
                    throw new BadInputException(dev.qvgen.layers.io.IoErrors.describe(e, records));
                }
                System.out.println("evaluate: settings changed (" + String.join("; ", differences)
                        + "): every video is scored afresh");
            }
        }
        now.write(file);
        {
            var options = new VBenchEvaluation.Options(videos, prompts, dims, out, name, workers);
            ProgressListener listener = new ProgressListener();
            VBenchEvaluation.Summary s;
            try {
                s = VBenchEvaluation.run(options, registry, listener);
            } catch (IllegalArgumentException e) {
                throw new BadInputException(e.getMessage());
            }
            if (raft == null && dims.contains("dynamic_degree")) {
                System.out.println("note: dynamic_degree uses OpenCV Farneback flow (give --raft raft-things.pth for "
                        + "VBench's RAFT)");
            }
            s.unavailable().forEach((d, why) -> System.out.println("unavailable: " + d + " (" + why + ")"));
            listener.errors.stream().limit(10).forEach(e -> System.out.println("error: " + e));
            if (listener.errors.size() > 10) {
                System.out.println("error: ... " + (listener.errors.size() - 10) + " more in " + s.perVideoCsv());
            }
            System.out.printf("evaluate: %d videos, %d already done, %d scored now, %d failed%n", s.videos(),
                    s.skipped(), s.scored() - listener.failedNow(), s.failed());
            Path rows = out.resolve("results.csv");
            try {
                dev.qvgen.reports.ResultsCsv.write(rows, dev.qvgen.harness.eval.EvaluationRows.of(s.results(),
                        rowMethod, rowBits));
            } catch (java.io.IOException e) {
                throw new BadInputException(dev.qvgen.layers.io.IoErrors.describe(e, rows));
            }
            System.out.println("wrote " + s.evalResults() + ", " + s.perVideoCsv() + ", " + s.scores() + ", " + rows);
            if (s.failed() > 0 && !allowFailures) {
                // a CI job must not read "nothing could be scored" as success
                System.err.println("qvgen: " + s.failed() + " of " + s.videos() + " videos could not be scored (see "
                        + s.perVideoCsv() + "); pass --allow-failures to accept that");
                return 1;
            }
            return 0;
        }
    }

    /** Progress lines; called from the worker threads. */
    private static final class ProgressListener implements VBenchEvaluation.Listener {
        private Progress progress;
        final List<String> errors = new ArrayList<>();

        @Override
        public synchronized void started(int total, int alreadyDone) {
            progress = new Progress("evaluate", total, System.out);
            progress.skip(alreadyDone);
        }

        @Override
        public synchronized void finished(EvalRecord record) {
            if (!record.ok()) {
                errors.add(record.error());
            }
            progress.step(record.ok() ? record.videoPath() : "error: " + record.error());
        }

        @Override
        public void notice(String message) {
            System.out.println("note: " + message);
        }

        synchronized int failedNow() {
            return errors.size();
        }
    }
}

package dev.qvgen.metrics.eval;

import com.google.gson.JsonParseException;
import com.google.gson.reflect.TypeToken;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricRegistry;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.video.DecodedVideo;
import dev.qvgen.video.Mp4Reader;
import dev.qvgen.video.VideoReadException;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * A VBench-style evaluation of a folder of videos: each video is decoded once and scored on
 * the requested dimensions that apply to its prompt, videos in parallel. Every finished video
 * is appended at once to {@code <out>/<name>_per_video.jsonl}, so an interrupted run resumes
 * where it stopped: a video already recorded without error and with all its dimensions is
 * skipped; a video recorded with an error is tried again. A video that cannot be decoded or
 * scored becomes an error row and the rest of the batch goes on. At the end the VBench result
 * files are written from all records (see {@link VBenchResults}).
 */
public final class VBenchEvaluation {

    /**
     * @param videos     folder of videos (*.mp4, *.gif, *.mkv, *.webm, *.avi, *.mov)
     * @param prompts    VBench_full_info.json, a .txt with one prompt a line, or null (prompts from file names)
     * @param dimensions metric names (VBench dimensions and any other registered metric)
     * @param name       output file prefix, as VBench's {@code --output_name}
     * @param threads    videos scored at once
     */
    public record Options(Path videos, Path prompts, List<String> dimensions, Path out, String name, int threads) {
    }

    /** What happened; paths of the files written. */
    /** @param results every video's record (this run's and earlier ones'), in the folder's order */
    public record Summary(int videos, int skipped, int scored, int failed, Map<String, String> unavailable,
                          Path evalResults, Path perVideoCsv, Path scores, Path records, List<EvalRecord> results) {
    }

    /** Progress callbacks (called from worker threads for {@link #finished}). */
    public interface Listener {
        void started(int total, int alreadyDone);

        void finished(EvalRecord record);

        /** Something the user should know that is not an error (e.g. a torn resume log repaired). */
        default void notice(String message) {
        }
    }

    /** One JSON object per line; NaN is written as NaN, as Python's json does. */
    private static final com.google.gson.Gson LINE = new com.google.gson.GsonBuilder()
            .serializeSpecialFloatingPointValues().disableHtmlEscaping().create();
    private static final Set<String> VIDEO_SUFFIXES = Set.of(".mp4", ".gif", ".mkv", ".webm", ".avi", ".mov");

    private VBenchEvaluation() {}

    /**
     * @throws IllegalArgumentException for an unknown dimension, a missing videos folder or a bad prompts file
     */
    public static Summary run(Options options, MetricRegistry registry, Listener listener) {
        List<String> dimensions = List.copyOf(new LinkedHashSet<>(options.dimensions()));
        if (dimensions.isEmpty()) {
            throw new IllegalArgumentException("no dimensions requested");
        }
        Map<String, VideoMetric> available = new LinkedHashMap<>();
        Map<String, String> unavailable = new LinkedHashMap<>();
        for (String d : dimensions) {
            VideoMetric m = registry.get(d);
            m.unavailableReason().ifPresentOrElse(r -> unavailable.put(d, r), () -> available.put(d, m));
        }
        if (!Files.isDirectory(options.videos())) {
            throw new IllegalArgumentException(options.videos() + ": not a folder of videos");
        }
        PromptIndex prompts = options.prompts() == null ? PromptIndex.fromFileNames()
                : PromptIndex.load(options.prompts());
        if (available.containsKey("appearance_style") && !prompts.fullInfo()) {
            // as VBench's custom_input mode: the style text exists only in the full-info JSON
            throw new IllegalArgumentException("appearance_style needs --prompts VBench_full_info.json (its style "
                    + "text is in auxiliary_info)");
        }
        List<Path> files = listVideos(options.videos());
        if (files.isEmpty()) {
            // an empty folder scored as "{}" and exit 0 looks like success to a CI job
            throw new IllegalArgumentException(options.videos() + ": no videos (" + String.join(", ",
                    new java.util.TreeSet<>(VIDEO_SUFFIXES)) + ")");
        }
        try {
            Files.createDirectories(options.out());
        } catch (IOException e) {
            throw new UncheckedIOException(options.out() + ": cannot create output folder", e);
        }
        Path recordsFile = options.out().resolve(options.name() + "_per_video.jsonl");
        String torn = dropTornLastLine(recordsFile);
        if (torn != null) {
            listener.notice(torn);
        }
        Map<String, EvalRecord> previous = readRecords(recordsFile);

        // plan: which dimensions each video needs, which are done already
        List<Job> jobs = new ArrayList<>();
        Map<String, Set<String>> dimsByVideo = new LinkedHashMap<>();
        List<String> order = new ArrayList<>();
        int skipped = 0;
        Map<String, EvalRecord> results = new HashMap<>();
        for (Path file : files) {
            String videoPath = options.videos().resolve(file.getFileName()).toString();
            order.add(videoPath);
            PromptIndex.Entry entry;
            try {
                entry = prompts.lookup(file.getFileName().toString());
            } catch (IllegalArgumentException e) {
                jobs.add(new Job(file, videoPath, null, Map.of(), List.of(), e.getMessage()));
                continue;
            }
            List<String> needed = new ArrayList<>();
            for (String d : available.keySet()) {
                if (entry.dimensions() == null || entry.dimensions().contains(d)) {
                    needed.add(d);
                }
            }
            dimsByVideo.put(videoPath, new LinkedHashSet<>(needed));
            EvalRecord old = previous.get(videoPath);
            if (old != null && old.ok() && old.results().keySet().containsAll(needed)) {
                results.put(videoPath, old);
                skipped++;
            } else {
                jobs.add(new Job(file, videoPath, entry.prompt(), entry.auxiliary(), needed, null));
            }
        }
        listener.started(files.size(), skipped);

        int threads = Math.max(1, options.threads());
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "vbench-eval");
            t.setDaemon(true);
            return t;
        });
        try (BufferedWriter log = Files.newBufferedWriter(recordsFile, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            List<Future<EvalRecord>> futures = new ArrayList<>();
            for (Job job : jobs) {
                futures.add(pool.submit(() -> {
                    EvalRecord r = job.run(available);
                    synchronized (log) {
                        log.write(LINE.toJson(r));
                        log.newLine();
                        log.flush();
                    }
                    listener.finished(r);
                    return r;
                }));
            }
            for (Future<EvalRecord> f : futures) {
                EvalRecord r = f.get();
                results.put(r.videoPath(), r);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(recordsFile + ": cannot append (" + e.getMessage() + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("evaluation interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("evaluation failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }

        List<EvalRecord> all = new ArrayList<>();
        for (String v : order) {
            if (results.containsKey(v)) {
                all.add(results.get(v));
            }
        }
        int failed = (int) all.stream().filter(r -> !r.ok()).count();
        List<String> computed = new ArrayList<>(available.keySet());
        Path evalResults = options.out().resolve(options.name() + "_eval_results.json");
        Path csv = options.out().resolve(options.name() + "_per_video.csv");
        Path scores = options.out().resolve(options.name() + "_scores.json");
        VBenchResults.writeJson(evalResults, VBenchResults.evalResults(all, computed));
        VBenchResults.writeCsv(csv, all, computed);
        VBenchResults.writeJson(scores, VBenchResults.scores(all, dimensions, unavailable));
        VBenchResults.writeJson(options.out().resolve(options.name() + "_full_info.json"),
                VBenchResults.fullInfo(all, dimsByVideo));
        return new Summary(files.size(), skipped, jobs.size(), failed, unavailable, evalResults, csv, scores,
                recordsFile, List.copyOf(all));
    }

    private record Job(Path file, String videoPath, String prompt, Map<String, String> auxiliary,
                       List<String> dimensions, String planError) {
        EvalRecord run(Map<String, VideoMetric> metrics) {
            if (planError != null) {
                return new EvalRecord(videoPath, null, Map.of(), Map.of(), planError);
            }
            Map<String, Double> results = new LinkedHashMap<>();
            Map<String, Map<String, String>> details = new LinkedHashMap<>();
            if (dimensions.isEmpty()) {
                return new EvalRecord(videoPath, prompt, results, details, null);
            }
            DecodedVideo video;
            try {
                video = Mp4Reader.decode(file);
            } catch (VideoReadException e) {
                return new EvalRecord(videoPath, prompt, results, details, oneLine(e.getMessage()));
            } catch (RuntimeException e) {
                return new EvalRecord(videoPath, prompt, results, details, file + ": cannot decode ("
                        + oneLine(String.valueOf(e.getMessage())) + ")");
            }
            MetricContext context = MetricContext.of(prompt, auxiliary);
            for (String d : dimensions) {
                try {
                    MetricResult r = metrics.get(d).score(video, context);
                    results.put(d, r.value());
                    details.put(d, r.details());
                } catch (RuntimeException e) {
                    return new EvalRecord(videoPath, prompt, results, details, file + ": " + d + " failed ("
                            + oneLine(e.getClass().getSimpleName() + ": " + e.getMessage()) + ")");
                }
            }
            return new EvalRecord(videoPath, prompt, results, details, null);
        }
    }

    private static String oneLine(String s) {
        return s.replaceAll("\\s*\\R\\s*", " ");
    }

    /** The video files of a folder, as an evaluation of it would score them. */
    public static List<Path> videoFiles(Path dir) {
        return listVideos(dir);
    }

    static List<Path> listVideos(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                int dot = n.lastIndexOf('.');
                return dot > 0 && VIDEO_SUFFIXES.contains(n.substring(dot));
            }).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot list (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Cuts a last line without its newline (a write interrupted by a crash or kill) off the resume
     * log: left there, the next record would be appended to it and be unreadable too, so that
     * video would be scored again on every later run. Returns the notice to show, or null.
     */
    static String dropTornLastLine(Path file) {
        if (!Files.exists(file)) {
            return null;
        }
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            long size = ch.size();
            if (size == 0) {
                return null;
            }
            java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
            ch.read(one, size - 1);
            if (one.get(0) == '\n') {
                return null;
            }
            long keep = size - 1;
            java.nio.ByteBuffer chunk = java.nio.ByteBuffer.allocate(8192);
            while (keep > 0) {
                long from = Math.max(0, keep - chunk.capacity());
                chunk.clear().limit((int) (keep - from));
                ch.read(chunk, from);
                int nl = -1;
                for (int i = chunk.position() - 1; i >= 0; i--) {
                    if (chunk.get(i) == '\n') {
                        nl = i;
                        break;
                    }
                }
                if (nl >= 0) {
                    keep = from + nl + 1;
                    break;
                }
                keep = from;
            }
            ch.truncate(keep);
            return file + ": dropped a torn last line (" + (size - keep) + " bytes, an interrupted write); "
                    + "that video is scored again";
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot repair (" + e.getMessage() + ")", e);
        }
    }

    /** Earlier records by video path; the last line for a video wins, a torn last line is ignored. */
    static Map<String, EvalRecord> readRecords(Path file) {
        Map<String, EvalRecord> out = new HashMap<>();
        if (!Files.exists(file)) {
            return out;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            try {
                EvalRecord r = LINE.fromJson(line, new TypeToken<EvalRecord>() { }.getType());
                if (r != null && r.videoPath() != null) {
                    out.put(r.videoPath(), r);
                }
            } catch (JsonParseException e) {
                // an interrupted write leaves a partial line; that video is simply scored again
            }
        }
        return out;
    }
}

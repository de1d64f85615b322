package dev.qvgen.harness.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.harness.Progress;
import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.io.SafeTensorsWriter;
import dev.qvgen.models.pipeline.VideoPipeline;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Encodes videos and captions once, so that training reads cached latents and text states and
 * needs neither the VAE nor the text encoder in memory.
 *
 * <p>Shard k covers input entries {@code [k * shardSize, (k + 1) * shardSize)}; the videos among them
 * that cannot give a clip are skipped (one line each) and listed in the shard and the manifest, so a
 * shard may hold fewer samples. Shards are written atomically; a rerun keeps every finished shard
 * (after checking that it was made with the same settings from the same entries) and encodes only the
 * missing ones, which come out byte-identical on the same machine. The manifest is written last.
 */
public final class DataPrepare {
    static final String SHARD_FORMAT = "qvgen-latents-shard-v1";

    private final VideoPipeline pipeline;
    private final ClipSampler sampler;
    private final ClipPreprocessor preprocessor;
    private final int maxSequenceLength;
    private final int shardSize;
    private final boolean allowUpscale;
    private final JsonObject settings;
    private final PrintStream log;
    private final Gson gson = new Gson();

    public DataPrepare(VideoPipeline pipeline, String model, ClipSampler sampler, ClipPreprocessor preprocessor,
            int maxSequenceLength, int shardSize, boolean allowUpscale, PrintStream log) {
        if (shardSize < 1) {
            throw new BadInputException("--shard-size must be positive, got " + shardSize);
        }
        this.pipeline = pipeline;
        this.sampler = sampler;
        this.preprocessor = preprocessor;
        this.maxSequenceLength = maxSequenceLength;
        this.shardSize = shardSize;
        this.allowUpscale = allowUpscale;
        this.log = log;
        this.settings = settings(model);
    }

    private JsonObject settings(String model) {
        JsonObject s = new JsonObject();
        s.addProperty("model", model);
        s.addProperty("pipeline_class", pipeline.pipelineClass());
        s.addProperty("frames", sampler.frames());
        s.addProperty("height", preprocessor.height());
        s.addProperty("width", preprocessor.width());
        s.add("sampling", sampler.toJson());
        s.addProperty("crop", preprocessor.crop().name().toLowerCase(Locale.ROOT));
        s.addProperty("allow_upscale", allowUpscale);
        s.addProperty("pixel_normalisation", "x / 255, then (x - 0.5) / 0.5");
        s.addProperty("latent_layout", pipeline.pipelineClass().equals("CogVideoXPipeline") ? "F,C,H,W" : "C,F,H,W");
        s.addProperty("latents", "posterior mean in the transformer's latent space (VideoPipeline.encodeVideo); "
                + "latents_std: posterior std; a training sample is latents + latents_std * N(0, 1)");
        s.addProperty("max_sequence_length", maxSequenceLength);
        s.addProperty("shard_size", shardSize);
        return s;
    }

    /** Prepares (or completes) {@code out} and returns its manifest. */
    public LatentManifest run(List<VideoList.Entry> entries, Path out, NDManager manager) throws IOException {
        Files.createDirectories(out);
        deleteStaleTemporaries(out);
        String fingerprint = gson.toJson(settings);
        long[] textShape = emptyText(out, fingerprint, manager);
        int shardCount = (entries.size() + shardSize - 1) / shardSize;
        Progress progress = new Progress("data prepare", entries.size(), log);
        List<ShardResult> results = new ArrayList<>();
        List<Integer> missing = new ArrayList<>();
        for (int k = 0; k < shardCount; k++) {
            ShardResult r = existing(out, k, entries, fingerprint);
            results.add(r);
            if (r == null) {
                missing.add(k);
            } else {
                progress.skip(r.entries);
            }
        }
        log.printf("data prepare: %d videos in %d shards of %d, %d shards already in %s%n", entries.size(), shardCount,
                shardSize, shardCount - missing.size(), out);
        for (int k : missing) {
            results.set(k, encodeShard(out, k, entries, fingerprint, manager, progress));
        }
        return writeManifest(out, results, textShape);
    }

    static String shardName(int k) {
        return String.format(Locale.ROOT, "shard-%05d.safetensors", k);
    }

    /** What one shard holds, read back from its metadata or just written. */
    private record ShardResult(String file, int entries, int count, long[] latentShape,
            List<LatentManifest.Skipped> skipped) {}

    private List<VideoList.Entry> slice(List<VideoList.Entry> entries, int k) {
        return entries.subList(k * shardSize, Math.min(entries.size(), (k + 1) * shardSize));
    }

    private ShardResult existing(Path out, int k, List<VideoList.Entry> entries, String fingerprint) {
        Path file = out.resolve(shardName(k));
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            Map<String, String> meta = f.metadata();
            if (!SHARD_FORMAT.equals(meta.get("qvgen.format"))) {
                throw new BadInputException(file + ": not a latent shard of 'qvgen data prepare'; use an empty --out");
            }
            if (!fingerprint.equals(meta.get("settings"))) {
                throw new BadInputException(file + ": prepared with other settings (" + meta.get("settings")
                        + "); use another --out or the same options");
            }
            List<String> names = slice(entries, k).stream().map(VideoList.Entry::name).toList();
            if (!names.equals(strings(meta.get("entries")))) {
                throw new BadInputException(file + ": made from other videos than entries " + k * shardSize + ".."
                        + (k * shardSize + names.size() - 1) + " of --videos (the list changed); use another --out");
            }
            List<LatentManifest.Skipped> skipped = new ArrayList<>();
            for (JsonElement e : JsonParser.parseString(meta.get("skipped")).getAsJsonArray()) {
                JsonObject o = e.getAsJsonObject();
                skipped.add(new LatentManifest.Skipped(o.get("video").getAsString(), o.get("reason").getAsString()));
            }
            int count = names.size() - skipped.size();
            long[] latentShape = null;
            if (count > 0) {
                long[] s = f.info("latents").shape();
                if (s[0] != count) {
                    throw new BadInputException(file + ": holds " + s[0] + " samples, its metadata says " + count);
                }
                latentShape = Arrays.copyOfRange(s, 1, s.length);
            }
            return new ShardResult(file.getFileName().toString(), names.size(), count, latentShape, skipped);
        } catch (CheckpointException e) {
            throw new BadInputException(e.getMessage() + " (delete the shard to encode it again)");
        }
    }

    private ShardResult encodeShard(Path out, int k, List<VideoList.Entry> entries, String fingerprint,
            NDManager manager, Progress progress) throws IOException {
        List<VideoList.Entry> slice = slice(entries, k);
        List<float[]> means = new ArrayList<>();
        List<float[]> stds = new ArrayList<>();
        List<float[]> texts = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        List<LatentManifest.Skipped> skipped = new ArrayList<>();
        long[] latentShape = null;
        long[] textShape = null;
        int minH = allowUpscale ? 1 : preprocessor.height();
        int minW = allowUpscale ? 1 : preprocessor.width();
        for (VideoList.Entry e : slice) {
            String problem = e.problem();
            ClipDecoder.Clip clip = null;
            if (problem == null) {
                try {
                    clip = ClipDecoder.decode(e.video(), sampler, minH, minW);
                } catch (ClipDecoder.Unusable u) {
                    problem = u.getMessage();
                }
            }
            if (problem != null) {
                log.println("data prepare: skipped " + e.name() + ": " + problem);
                skipped.add(new LatentManifest.Skipped(e.name(), problem));
                progress.step(e.name());
                continue;
            }
            try (NDManager sub = manager.newSubManager()) {
                NDArray video = sub.create(preprocessor.toModelInput(clip),
                        new Shape(1, 3, sampler.frames(), preprocessor.height(), preprocessor.width()));
                VideoPipeline.LatentPosterior p = pipeline.encodeVideo(video);
                NDArray text = pipeline.encodePrompt(e.caption(), maxSequenceLength, sub);
                latentShape = perSample(p.mean().getShape());
                textShape = perSample(text.getShape());
                means.add(p.mean().toFloatArray());
                stds.add(p.std().toFloatArray());
                texts.add(text.toFloatArray());
                p.mean().close();
                p.std().close();
            }
            captions.add(e.caption());
            kept.add(e.name());
            progress.step(e.name());
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("qvgen.format", SHARD_FORMAT);
        meta.put("settings", fingerprint);
        meta.put("entries", gson.toJson(slice.stream().map(VideoList.Entry::name).toList()));
        meta.put("videos", gson.toJson(kept));
        meta.put("captions", gson.toJson(captions));
        JsonArray sk = new JsonArray();
        for (LatentManifest.Skipped s : skipped) {
            JsonObject o = new JsonObject();
            o.addProperty("video", s.video());
            o.addProperty("reason", s.reason());
            sk.add(o);
        }
        meta.put("skipped", gson.toJson(sk));
        Path file = out.resolve(shardName(k));
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            if (!kept.isEmpty()) {
                tensors.put("latents", stack(m, means, latentShape));
                tensors.put("latents_std", stack(m, stds, latentShape));
                tensors.put("text", stack(m, texts, textShape));
            }
            SafeTensorsWriter.write(file, tensors, meta);
        }
        return new ShardResult(file.getFileName().toString(), slice.size(), kept.size(), latentShape, skipped);
    }

    /** The empty prompt's text states (for caption dropout), written once; gives the text shape. */
    private long[] emptyText(Path out, String fingerprint, NDManager manager) throws IOException {
        Path file = out.resolve(LatentManifest.EMPTY_TEXT_FILE);
        if (Files.isRegularFile(file)) {
            try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
                if (fingerprint.equals(f.metadata().get("settings")) && f.names().contains("text")) {
                    return f.info("text").shape();
                }
            } catch (CheckpointException e) {
                // rewritten below
            }
        }
        try (NDManager m = manager.newSubManager()) {
            NDArray text = pipeline.encodePrompt("", maxSequenceLength, m);
            long[] shape = perSample(text.getShape());
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("qvgen.format", SHARD_FORMAT);
            meta.put("settings", fingerprint);
            SafeTensorsWriter.write(file, Map.of("text", m.create(text.toFloatArray(), new Shape(shape))), meta);
            return shape;
        }
    }

    private LatentManifest writeManifest(Path out, List<ShardResult> results, long[] textShape) throws IOException {
        List<LatentManifest.Shard> shards = new ArrayList<>();
        List<LatentManifest.Skipped> skipped = new ArrayList<>();
        long[] latentShape = null;
        int next = 0;
        for (ShardResult r : results) {
            if (r.latentShape != null) {
                if (latentShape != null && !Arrays.equals(latentShape, r.latentShape)) {
                    throw new IllegalStateException(r.file + " has latents of shape " + Arrays.toString(r.latentShape)
                            + ", other shards " + Arrays.toString(latentShape));
                }
                latentShape = r.latentShape;
            }
            shards.add(new LatentManifest.Shard(r.file, r.count, next));
            next += r.count;
            skipped.addAll(r.skipped);
        }
        LatentManifest m = new LatentManifest(settings, latentShape, textShape, shards, next, skipped);
        m.write(out);
        log.printf("data prepare: %d samples, %d skipped, manifest %s%n", next, skipped.size(),
                out.resolve(LatentManifest.FILE));
        return m;
    }

    private static NDArray stack(NDManager m, List<float[]> rows, long[] shape) {
        int per = rows.get(0).length;
        float[] all = new float[per * rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, all, i * per, per);
        }
        long[] s = new long[shape.length + 1];
        s[0] = rows.size();
        System.arraycopy(shape, 0, s, 1, shape.length);
        return m.create(all, new Shape(s));
    }

    /** (1, ...) without its batch axis. */
    private static long[] perSample(Shape s) {
        return Arrays.copyOfRange(s.getShape(), 1, s.dimension());
    }

    private List<String> strings(String json) {
        if (json == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        JsonParser.parseString(json).getAsJsonArray().forEach(e -> out.add(e.getAsString()));
        return out;
    }

    /** A killed run may leave {@code *.tmp} files of unfinished atomic writes; they are never read. */
    private static void deleteStaleTemporaries(Path out) throws IOException {
        try (Stream<Path> s = Files.list(out)) {
            for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    public JsonObject settings() {
        return settings.deepCopy();
    }
}

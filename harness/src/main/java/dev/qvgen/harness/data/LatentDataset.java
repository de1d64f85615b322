package dev.qvgen.harness.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import com.google.gson.JsonParser;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.io.TensorInfo;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a dataset written by {@link DataPrepare}: sample i's latents (posterior mean and std) and
 * text states, read from its shard through a memory mapping of just that sample's bytes, so the
 * trainer's memory holds the samples of a batch, not the dataset. At most {@link #OPEN_SHARDS}
 * shard files are open at a time.
 */
public final class LatentDataset implements dev.qvgen.harness.study.LatentSource {
    static final int OPEN_SHARDS = 16;

    private final Path dir;
    private final LatentManifest manifest;
    private final List<LatentManifest.Shard> shards;
    private final int[] firstIndex;
    private final List<String> captions = new ArrayList<>();
    private final Map<Integer, SafeTensorsFile> open = new LinkedHashMap<>(OPEN_SHARDS, 0.75f, true);

    private LatentDataset(Path dir, LatentManifest manifest) {
        this.dir = dir;
        this.manifest = manifest;
        this.shards = manifest.shards().stream().filter(s -> s.count() > 0).toList();
        this.firstIndex = shards.stream().mapToInt(LatentManifest.Shard::firstIndex).toArray();
    }

    /**
     * Opens {@code dir} after checking its manifest against every shard's header (file present,
     * sample count and per-sample shapes as the manifest says). Problems are one line naming the file.
     */
    public static LatentDataset open(Path dir) {
        LatentManifest m = LatentManifest.read(dir);
        if (m.samples() == 0) {
            throw new BadInputException(dir.resolve(LatentManifest.FILE) + ": no samples (all "
                    + m.skipped().size() + " videos were skipped)");
        }
        LatentDataset d = new LatentDataset(dir, m);
        for (LatentManifest.Shard s : d.shards) {
            Path file = dir.resolve(s.file());
            try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
                check(f, file, "latents", s.count(), m.latentShape());
                check(f, file, "latents_std", s.count(), m.latentShape());
                check(f, file, "text", s.count(), m.textShape());
                List<String> caps = new ArrayList<>();
                JsonParser.parseString(f.metadata().getOrDefault("captions", "[]")).getAsJsonArray()
                        .forEach(e -> caps.add(e.getAsString()));
                if (caps.size() != s.count()) {
                    throw new BadInputException(file + ": " + caps.size() + " captions for " + s.count() + " samples");
                }
                d.captions.addAll(caps);
            } catch (CheckpointException e) {
                throw new BadInputException(e.getMessage());
            }
        }
        Path empty = dir.resolve(LatentManifest.EMPTY_TEXT_FILE);
        try (SafeTensorsFile f = SafeTensorsFile.open(empty)) {
            if (!f.names().contains("text") || !Arrays.equals(f.info("text").shape(), m.textShape())) {
                throw new BadInputException(empty + ": no text tensor of shape " + Arrays.toString(m.textShape()));
            }
        } catch (CheckpointException e) {
            throw new BadInputException(e.getMessage());
        }
        return d;
    }

    private static void check(SafeTensorsFile f, Path file, String name, int count, long[] perSample) {
        if (!f.names().contains(name)) {
            throw new BadInputException(file + ": missing tensor " + name);
        }
        TensorInfo t = f.info(name);
        long[] expected = new long[perSample.length + 1];
        expected[0] = count;
        System.arraycopy(perSample, 0, expected, 1, perSample.length);
        if (!t.dtype().equals("F32") || !Arrays.equals(t.shape(), expected)) {
            throw new BadInputException(file + ": tensor " + name + " is " + t.dtype() + " " + Arrays.toString(t.shape())
                    + ", the manifest says F32 " + Arrays.toString(expected));
        }
    }

    public int size() {
        return manifest.samples();
    }

    /** Per-sample latent shape (C, F, H, W) for Wan, (F, C, H, W) for CogVideoX. */
    public Shape latentShape() {
        return new Shape(manifest.latentShape());
    }

    /** Per-sample text shape (L, D). */
    public Shape textShape() {
        return new Shape(manifest.textShape());
    }

    public LatentManifest manifest() {
        return manifest;
    }

    /** The posterior mean of sample {@code index}. */
    public NDArray latents(int index, NDManager m) {
        return read(index, "latents", manifest.latentShape(), m);
    }

    /** The posterior std of sample {@code index}; a training draw is {@code latents + std * eps}. */
    public NDArray latentStd(int index, NDManager m) {
        return read(index, "latents_std", manifest.latentShape(), m);
    }

    public NDArray text(int index, NDManager m) {
        return read(index, "text", manifest.textShape(), m);
    }

    /** The empty prompt's text states, for caption dropout. */
    public NDArray emptyText(NDManager m) {
        try (SafeTensorsFile f = SafeTensorsFile.open(dir.resolve(LatentManifest.EMPTY_TEXT_FILE))) {
            return f.load("text", m);
        }
    }

    public String caption(int index) {
        checkIndex(index);
        return captions.get(index);
    }

    private NDArray read(int index, String tensor, long[] perSample, NDManager m) {
        checkIndex(index);
        int k = Arrays.binarySearch(firstIndex, index);
        if (k < 0) {
            k = -k - 2;
        }
        SafeTensorsFile f = shard(k);
        TensorInfo t = f.info(tensor);
        long per = 1;
        for (long d : perSample) {
            per *= d;
        }
        long begin = t.begin() + (index - firstIndex[k]) * per * 4;
        FloatBuffer b = f.map(new TensorInfo(t.file(), t.dtype(), perSample, begin, begin + per * 4)).asFloatBuffer();
        float[] v = new float[Math.toIntExact(per)];
        b.get(v);
        return m.create(v, new Shape(perSample));
    }

    private void checkIndex(int index) {
        if (index < 0 || index >= size()) {
            throw new IndexOutOfBoundsException("sample " + index + " of " + size());
        }
    }

    private SafeTensorsFile shard(int k) {
        SafeTensorsFile f = open.get(k);
        if (f == null) {
            if (open.size() >= OPEN_SHARDS) {
                var eldest = open.entrySet().iterator().next();
                eldest.getValue().close();
                open.remove(eldest.getKey());
            }
            f = SafeTensorsFile.open(dir.resolve(shards.get(k).file()));
            open.put(k, f);
        }
        return f;
    }

    @Override
    public void close() {
        open.values().forEach(SafeTensorsFile::close);
        open.clear();
    }
}

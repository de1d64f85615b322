package dev.qvgen.quantizer.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.IoErrors;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.io.SafeTensorsWriter;
import dev.qvgen.layers.nn.Bfloat16;
import dev.qvgen.layers.nn.Precision;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Teacher outputs computed ahead for a fixed sampling of (latent, timestep, noise), read back by
 * QAT instead of running the teacher ({@link CachedTeacherTask}). Micro-batch {@code i} is the
 * trainer's batch {@code i} ({@code step * accum + k}); its output is tensor {@code teacher.<i>}
 * of a shard, each shard a safetensors file of consecutive micro-batches. bfloat16 outputs are
 * stored as their bfloat16 bits (exact: they are bfloat16 values), float32 ones as float32, so an
 * output read back is bit for bit the one the teacher gave.
 *
 * <p>{@value #MANIFEST} names what the outputs depend on (the identity: model weights, data,
 * sampling seed and batch size, teacher precision), what they were made with (the model's name,
 * the device kind), and the finished shards in order with their size and
 * SHA-256. A shard is written atomically and only then added to the manifest (itself rewritten
 * atomically), so a cache stopped at any moment holds a prefix of finished shards and a rerun goes
 * on after them. Every problem is a {@link CheckpointException} naming the file.
 */
public final class TeacherCache implements AutoCloseable {
    public static final String MANIFEST = "teacher-cache.json";
    public static final String FORMAT = "qvgen-teacher-cache-v1";
    static final String F32 = "F32";
    static final String BF16 = "BF16";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    /** One finished shard: micro-batches {@code [first, first + count)}. */
    public record Shard(String file, int first, int count, long bytes, String sha256) {}

    /**
     * @param identity what the outputs depend on; a cache is used only by a run with the same
     * @param about informative, not compared: the model's name, where the teacher ran (cpu or gpu; outputs
     *     differ in the last bits between them)
     * @param microBatchesPerShard the shard size, fixed when the cache is made
     * @param dtype {@code F32} or {@code BF16}, null before the first shard
     */
    public record Manifest(Map<String, String> identity, Map<String, String> about, int microBatchesPerShard,
            String dtype, List<Shard> shards) {
        /** Micro-batches 0..n-1 are in the cache. */
        public int microBatches() {
            return shards.isEmpty() ? 0 : shards.get(shards.size() - 1).first() + shards.get(shards.size() - 1).count();
        }

        void write(Path dir) throws IOException {
            JsonObject o = new JsonObject();
            o.addProperty("format", FORMAT);
            JsonObject id = new JsonObject();
            identity.forEach(id::addProperty);
            o.add("identity", id);
            JsonObject ab = new JsonObject();
            about.forEach(ab::addProperty);
            o.add("about", ab);
            o.addProperty("micro_batches_per_shard", microBatchesPerShard);
            o.addProperty("micro_batches", microBatches());
            if (dtype != null) {
                o.addProperty("dtype", dtype);
            }
            JsonArray sh = new JsonArray();
            for (Shard s : shards) {
                JsonObject j = new JsonObject();
                j.addProperty("file", s.file());
                j.addProperty("first", s.first());
                j.addProperty("count", s.count());
                j.addProperty("bytes", s.bytes());
                j.addProperty("sha256", s.sha256());
                sh.add(j);
            }
            o.add("shards", sh);
            Path file = dir.resolve(MANIFEST);
            Path tmp = dir.resolve(MANIFEST + ".tmp");
            try {
                Files.writeString(tmp, GSON.toJson(o) + "\n");
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                Files.deleteIfExists(tmp);
                throw IoErrors.cannot("write", file, e);
            }
        }

        /** The manifest of {@code dir}, or null if there is none; a damaged one is refused with its name. */
        static Manifest read(Path dir) {
            Path file = dir.resolve(MANIFEST);
            JsonObject o;
            try {
                o = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
            } catch (NoSuchFileException e) {
                return null;
            } catch (IOException e) {
                throw new CheckpointException(IoErrors.describe(e, file));
            } catch (RuntimeException e) {
                throw new CheckpointException(file + ": not a teacher cache manifest (not a JSON object)");
            }
            try {
                String format = o.get("format").getAsString();
                if (!format.equals(FORMAT)) {
                    throw new CheckpointException(file + ": format '" + format + "', expected " + FORMAT);
                }
                Map<String, String> id = new LinkedHashMap<>();
                o.getAsJsonObject("identity").entrySet().forEach(e -> id.put(e.getKey(), e.getValue().getAsString()));
                List<Shard> shards = new ArrayList<>();
                int next = 0;
                for (JsonElement el : o.getAsJsonArray("shards")) {
                    JsonObject j = el.getAsJsonObject();
                    Shard s = new Shard(j.get("file").getAsString(), j.get("first").getAsInt(), j.get("count").getAsInt(),
                            j.get("bytes").getAsLong(), j.get("sha256").getAsString());
                    if (s.first() != next || s.count() < 1 || s.file().contains("/") || s.file().contains("\\")) {
                        throw new CheckpointException(file + ": shard " + s.file() + " does not continue the shards "
                                + "before it (first " + s.first() + ", expected " + next + ")");
                    }
                    next += s.count();
                    shards.add(s);
                }
                String dtype = o.has("dtype") ? o.get("dtype").getAsString() : null;
                if (dtype != null && !dtype.equals(F32) && !dtype.equals(BF16)) {
                    throw new CheckpointException(file + ": dtype '" + dtype + "', expected F32 or BF16");
                }
                Map<String, String> about = new LinkedHashMap<>();
                o.getAsJsonObject("about").entrySet().forEach(e -> about.put(e.getKey(), e.getValue().getAsString()));
                return new Manifest(id, about, o.get("micro_batches_per_shard").getAsInt(),
                        dtype, List.copyOf(shards));
            } catch (NullPointerException | IllegalStateException | UnsupportedOperationException
                    | ClassCastException | NumberFormatException e) {
                throw new CheckpointException(file + ": damaged teacher cache manifest (a field is missing or of "
                        + "the wrong kind)");
            }
        }
    }

    /**
     * Refuses a cache made for another run: one line naming the manifest and every field that
     * differs, with both values.
     */
    static void requireIdentity(Path dir, Manifest m, Map<String, String> wanted) {
        Map<String, String> cached = m.identity();
        List<String> diffs = new ArrayList<>();
        Set<String> keys = new java.util.LinkedHashSet<>(wanted.keySet());
        keys.addAll(cached.keySet());
        for (String k : keys) {
            String c = cached.get(k);
            String w = wanted.get(k);
            if (c == null || !c.equals(w)) {
                diffs.add(k + " " + c + " (this run: " + w + ")");
            }
        }
        if (!diffs.isEmpty()) {
            throw new CheckpointException(dir.resolve(MANIFEST) + ": a teacher cache of another run (made for "
                    + m.about().getOrDefault("model", "?") + " on the " + m.about().getOrDefault("device", "?") + "): "
                    + String.join(", ", diffs) + "; compute one for this run into another directory "
                    + "(qvgen qat-teacher)");
        }
    }

    // ---------------------------------------------------------------- writing

    /** Writes a cache shard by shard; reopening a directory goes on after its finished shards. */
    public static final class Writer {
        private final Path dir;
        private Manifest manifest;

        private Writer(Path dir, Manifest manifest) {
            this.dir = dir;
            this.manifest = manifest;
        }

        /**
         * Opens {@code dir} (created if needed) for the cache of {@code identity}: an existing
         * cache must have the same identity; its shard size then wins over {@code microBatchesPerShard}.
         */
        public static Writer open(Path dir, Map<String, String> identity, Map<String, String> about,
                int microBatchesPerShard)
                throws IOException {
            if (microBatchesPerShard < 1) {
                throw new IllegalArgumentException("micro-batches per shard must be positive");
            }
            Files.createDirectories(dir);
            Manifest m = Manifest.read(dir);
            if (m == null) {
                m = new Manifest(new LinkedHashMap<>(identity), new LinkedHashMap<>(about), microBatchesPerShard, null,
                        List.of());
                m.write(dir);
            } else {
                requireIdentity(dir, m, identity);
            }
            return new Writer(dir, m);
        }

        public Manifest manifest() {
            return manifest;
        }

        /** Micro-batches per shard (the existing cache's, when it was made before). */
        public int microBatchesPerShard() {
            return manifest.microBatchesPerShard();
        }

        /**
         * Whether shard {@code j} is finished, holds micro-batches {@code [first, first + count)} and
         * its file matches its size and SHA-256 (a damaged shard is then computed again).
         */
        public boolean done(int j, int first, int count) {
            if (j >= manifest.shards().size()) {
                return false;
            }
            Shard s = manifest.shards().get(j);
            Path f = dir.resolve(s.file());
            try {
                return s.first() == first && s.count() >= count && Files.size(f) == s.bytes()
                        && sha256(f).equals(s.sha256());
            } catch (IOException e) {
                return false;
            }
        }

        /**
         * Writes shard {@code j} holding the teacher outputs of micro-batches {@code first, first + 1, ...},
         * then records it, in place of a damaged or shorter shard {@code j} or after the last one.
         */
        public void write(int j, int first, List<Output> outputs) throws IOException {
            int have = manifest.shards().size();
            if (j > have || (j < have && (manifest.shards().get(j).first() != first
                    || (j + 1 < have && manifest.shards().get(j).count() != outputs.size())))) {
                throw new IllegalStateException("shard " + j + " of micro-batches " + first + "+" + outputs.size()
                        + " does not fit the " + have + " shards of " + dir);
            }
            String dtype = outputs.get(0).bf16() ? BF16 : F32;
            if (manifest.dtype() != null && !manifest.dtype().equals(dtype)) {
                throw new CheckpointException(dir.resolve(MANIFEST) + ": holds " + manifest.dtype()
                        + " teacher outputs, this teacher gives " + dtype);
            }
            String name = String.format(java.util.Locale.ROOT, "teacher-%06d.safetensors", j);
            Path file = dir.resolve(name);
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            Map<String, String> stored = new HashMap<>();
            try (NDManager host = NDManager.newBaseManager(ai.djl.Device.cpu())) {
                for (int k = 0; k < outputs.size(); k++) {
                    String key = key(first + k);
                    tensors.put(key, outputs.get(k).stored(host));
                    if (dtype.equals(BF16)) {
                        stored.put(key, BF16);
                    }
                }
                SafeTensorsWriter.write(file, tensors, Map.of("first", String.valueOf(first)), stored);
            }
            Shard s = new Shard(name, first, outputs.size(), Files.size(file), sha256(file));
            List<Shard> shards = new ArrayList<>(manifest.shards());
            if (j < have) {
                shards.set(j, s);
            } else {
                shards.add(s);
            }
            Manifest next = new Manifest(manifest.identity(), manifest.about(), manifest.microBatchesPerShard(), dtype,
                    List.copyOf(shards));
            next.write(dir);
            manifest = next;
        }
    }

    /** One teacher output copied to the host: its values (bfloat16 ones widened exactly), shape and type. */
    public record Output(float[] values, long[] shape, boolean bf16) {
        /** Copies {@code out} (any device, float32 or bfloat16) to the host. */
        public static Output of(NDArray out) {
            NDArray wide = out.toType(DataType.FLOAT32, false);
            float[] v = wide.toFloatArray();
            if (wide != out) {
                wide.close();
            }
            return new Output(v, out.getShape().getShape(), Precision.isBf16(out));
        }

        /** Bytes per stored output. */
        public long bytes() {
            return (long) values.length * (bf16 ? 2 : 4);
        }

        /**
         * A host array holding the bytes to store: float32 as it is; bfloat16 as its bits, carried
         * by a float16 array (two bytes each, written verbatim), since DJL has no bfloat16 type.
         */
        NDArray stored(NDManager host) {
            ai.djl.ndarray.types.Shape s = new ai.djl.ndarray.types.Shape(shape);
            if (!bf16) {
                return host.create(values, s);
            }
            ByteBuffer bits = ByteBuffer.allocateDirect(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : values) {
                bits.putShort((short) Bfloat16.fromFloat(f)); // exact: f is a bfloat16 value
            }
            bits.flip();
            return host.create(bits, s, DataType.FLOAT16);
        }
    }

    // ---------------------------------------------------------------- reading

    private final Path dir;
    private final Manifest manifest;
    /** Shards whose file was read whole and matched its SHA-256, by index. */
    private final Map<Integer, SafeTensorsFile> verified = new HashMap<>();

    private TeacherCache(Path dir, Manifest manifest) {
        this.dir = dir;
        this.manifest = manifest;
    }

    /** Opens the cache in {@code dir} for a run of {@code identity}, refusing another run's. */
    public static TeacherCache open(Path dir, Map<String, String> identity) {
        Manifest m = Manifest.read(dir);
        if (m == null) {
            throw new CheckpointException(dir.resolve(MANIFEST) + ": not found (make the cache with qvgen "
                    + "qat-teacher first)");
        }
        requireIdentity(dir, m, identity);
        return new TeacherCache(dir, m);
    }

    public Manifest manifest() {
        return manifest;
    }

    public Path directory() {
        return dir;
    }

    /**
     * Checks, without reading them, that micro-batches {@code [0, n)} are in the cache and that
     * each of their shard files is there with its recorded size.
     */
    public void requireMicroBatches(int n) {
        if (manifest.microBatches() < n) {
            throw new CheckpointException(dir.resolve(MANIFEST) + ": holds teacher outputs of micro-batches 0.."
                    + (manifest.microBatches() - 1) + ", this run needs 0.." + (n - 1) + " (extend it with qvgen "
                    + "qat-teacher --steps)");
        }
        for (Shard s : manifest.shards()) {
            if (s.first() >= n) {
                break;
            }
            Path f = dir.resolve(s.file());
            long size;
            try {
                size = Files.size(f);
            } catch (NoSuchFileException e) {
                throw new CheckpointException(f + ": teacher cache shard missing (micro-batches " + s.first() + ".."
                        + (s.first() + s.count() - 1) + ")");
            } catch (IOException e) {
                throw new CheckpointException(IoErrors.describe(e, f));
            }
            if (size != s.bytes()) {
                throw new CheckpointException(f + ": teacher cache shard has " + size + " bytes, the manifest says "
                        + s.bytes());
            }
        }
    }

    /** Reads and checks (SHA-256) every shard holding a micro-batch of {@code [from, to)}, once each. */
    public void verify(int from, int to) {
        for (int j = 0; j < manifest.shards().size(); j++) {
            Shard s = manifest.shards().get(j);
            if (s.first() < to && s.first() + s.count() > from) {
                shard(j);
            }
        }
    }

    /**
     * The teacher output of micro-batch {@code index} on {@code manager}'s device, in the teacher's
     * type (bfloat16 again where it was); its shard is checked first if it was not yet.
     */
    public NDArray read(int index, NDManager manager) {
        int j = shardOf(index);
        NDArray v = shard(j).load(key(index), manager);
        return BF16.equals(manifest.dtype()) ? Precision.to(v, DataType.BFLOAT16) : v;
    }

    /** Closes the shards before {@code index}'s: a run reads forward only. */
    public void releaseBefore(int index) {
        verified.entrySet().removeIf(e -> {
            Shard s = manifest.shards().get(e.getKey());
            boolean old = s.first() + s.count() <= index;
            if (old) {
                e.getValue().close();
            }
            return old;
        });
    }

    private int shardOf(int index) {
        List<Shard> shards = manifest.shards();
        int lo = 0;
        int hi = shards.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Shard s = shards.get(mid);
            if (index < s.first()) {
                hi = mid - 1;
            } else if (index >= s.first() + s.count()) {
                lo = mid + 1;
            } else {
                return mid;
            }
        }
        throw new CheckpointException(dir.resolve(MANIFEST) + ": no teacher output for micro-batch " + index
                + " (the cache holds 0.." + (manifest.microBatches() - 1) + ")");
    }

    private SafeTensorsFile shard(int j) {
        SafeTensorsFile f = verified.get(j);
        if (f != null) {
            return f;
        }
        Shard s = manifest.shards().get(j);
        Path file = dir.resolve(s.file());
        String sum;
        try {
            sum = sha256(file);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": teacher cache shard missing");
        } catch (IOException e) {
            throw new CheckpointException(IoErrors.describe(e, file));
        }
        if (!sum.equals(s.sha256())) {
            throw new CheckpointException(file + ": teacher cache shard is corrupt (SHA-256 " + sum.substring(0, 16)
                    + "..., the manifest says " + s.sha256().substring(0, Math.min(16, s.sha256().length())) + "...)");
        }
        f = SafeTensorsFile.open(file);
        for (int i = s.first(); i < s.first() + s.count(); i++) {
            if (!f.names().contains(key(i))) {
                f.close();
                throw new CheckpointException(file + ": teacher cache shard lacks micro-batch " + i);
            }
        }
        verified.put(j, f);
        return f;
    }

    @Override
    public void close() {
        verified.values().forEach(SafeTensorsFile::close);
        verified.clear();
    }

    static String key(int index) {
        return "teacher." + index;
    }

    static String sha256(Path file) throws IOException {
        MessageDigest d;
        try {
            d = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(d.digest());
    }
}

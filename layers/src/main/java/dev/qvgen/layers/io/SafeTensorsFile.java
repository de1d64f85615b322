package dev.qvgen.layers.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One safetensors file (8-byte little-endian header length, JSON header, raw data), memory
 * mapped one tensor at a time. The header and every byte range are validated on open so a
 * corrupt or truncated file fails at once with its name, not deep inside a forward pass.
 */
public final class SafeTensorsFile implements WeightSource {
    private static final long MAX_HEADER = 100L << 20;

    private final Path path;
    private final FileChannel channel;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafeTensorsFile(Path path, FileChannel channel, Map<String, TensorInfo> tensors,
            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafeTensorsFile open(Path path) {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(path + ": file not found");
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot open (" + e.getMessage() + ")", e);
        }
        try {
            return parse(path, ch);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    private static SafeTensorsFile parse(Path path, FileChannel ch) {
        try {
            long size = ch.size();
            if (size < 8) {
                throw new CheckpointException(path + ": not a safetensors file (only " + size + " bytes)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen <= 0 || headerLen > MAX_HEADER || headerLen > size - 8) {
                throw new CheckpointException(path + ": corrupt safetensors header length " + headerLen
                        + " (file has " + size + " bytes)");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8);
            JsonObject header;
            try {
                header = JsonParser.parseString(new String(hb.array(), StandardCharsets.UTF_8)).getAsJsonObject();
            } catch (JsonParseException | IllegalStateException e) {
                throw new CheckpointException(path + ": corrupt safetensors header (not a JSON object)");
            }
            long dataStart = 8 + headerLen;
            long dataSize = size - dataStart;
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : header.entrySet()) {
                if (e.getKey().equals("__metadata__")) {
                    e.getValue().getAsJsonObject().entrySet()
                            .forEach(m -> metadata.put(m.getKey(), m.getValue().getAsString()));
                    continue;
                }
                tensors.put(e.getKey(), tensorInfo(path, e.getKey(), e.getValue(), dataStart, dataSize));
            }
            return new SafeTensorsFile(path, ch, Collections.unmodifiableMap(tensors), metadata);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static TensorInfo tensorInfo(Path path, String name, JsonElement el, long dataStart, long dataSize) {
        try {
            JsonObject o = el.getAsJsonObject();
            String dtype = o.get("dtype").getAsString();
            var shapeArr = o.getAsJsonArray("shape");
            long[] shape = new long[shapeArr.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeArr.get(i).getAsLong();
            }
            var off = o.getAsJsonArray("data_offsets");
            long begin = off.get(0).getAsLong();
            long end = off.get(1).getAsLong();
            int bpe = TensorInfo.bytesPerElement(dtype);
            if (bpe < 0) {
                throw new CheckpointException(path + ": tensor " + name + " has unsupported dtype " + dtype);
            }
            TensorInfo info = new TensorInfo(path, dtype, shape, dataStart + begin, dataStart + end);
            if (begin < 0 || end < begin || end - begin != info.numel() * bpe) {
                throw new CheckpointException(path + ": tensor " + name + " has inconsistent data offsets");
            }
            if (end > dataSize) {
                throw new CheckpointException(path + ": truncated (tensor " + name + " needs "
                        + (dataStart + end) + " bytes, file has " + (dataStart + dataSize) + ")");
            }
            return info;
        } catch (NullPointerException | IllegalStateException | UnsupportedOperationException e) {
            throw new CheckpointException(path + ": corrupt safetensors header entry for " + name);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + buf.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException(path + ": no tensor named " + name);
        }
        return t;
    }

    public Map<String, String> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    /** Elements converted per chunk: bounds the temporary memory of a load, whatever the tensor size. */
    static final int CHUNK = 1 << 22;

    @Override
    public NDArray load(String name, NDManager manager) {
        return load(name, manager, DataType.FLOAT32);
    }

    /**
     * Floating-point tensors are read into one tensor allocated by the engine (not a Java direct
     * buffer, whose total is capped by -XX:MaxDirectMemorySize) in chunks of {@link #CHUNK}
     * elements: each chunk of the file mapping is wrapped without copying and converted into its
     * slice of the result. So a load holds the result plus at most one chunk, never a second copy
     * of the tensor, and tensors over 2 GiB (beyond one mapping) load too. bfloat16 is decoded in
     * Java, as DJL 0.36's JNI has no bfloat16 type.
     */
    @Override
    public NDArray load(String name, NDManager manager, DataType floatType) {
        TensorInfo t = info(name);
        Shape shape = new Shape(t.shape());
        switch (t.dtype()) {
            case "F32":
            case "F16":
            case "BF16":
            case "F64":
                if (floatType != DataType.FLOAT32 && floatType != DataType.FLOAT16) {
                    throw new IllegalArgumentException("weights can be held as float32 or float16, not " + floatType);
                }
                return loadFloat(t, shape, manager, floatType);
            default:
                break;
        }
        ByteBuffer bytes = map(t);
        switch (t.dtype()) {
            case "I64": {
                long[] v = new long[Math.toIntExact(t.numel())];
                bytes.asLongBuffer().get(v);
                return manager.create(v, shape);
            }
            case "I32": {
                int[] v = new int[Math.toIntExact(t.numel())];
                bytes.asIntBuffer().get(v);
                return manager.create(v, shape);
            }
            case "U8":
            case "I8": {
                byte[] v = new byte[Math.toIntExact(t.numel())];
                bytes.get(v);
                return manager.create(ByteBuffer.wrap(v), shape,
                        t.dtype().equals("U8") ? DataType.UINT8 : DataType.INT8);
            }
            default:
                throw new CheckpointException(path + ": tensor " + name + " has unsupported dtype " + t.dtype());
        }
    }

    /** A bfloat16 tensor's bytes go to the engine as they are, in chunks; other types are rounded. */
    @Override
    public NDArray loadBf16Bytes(String name, NDManager manager) {
        TensorInfo t = info(name);
        if (!t.dtype().equals("BF16")) {
            return WeightSource.super.loadBf16Bytes(name, manager);
        }
        long n = 2 * t.numel();
        NDArray out = manager.create(new Shape(n), DataType.UINT8);
        for (long start = 0; start < n; start += 2L * CHUNK) {
            int len = (int) Math.min(2L * CHUNK, n - start);
            try (NDArray chunk = manager.create(map(t.begin() + start, len), new Shape(len), DataType.UINT8)) {
                out.set(new NDIndex(start + ":" + (start + len)), chunk);
            }
        }
        return out;
    }

    private NDArray loadFloat(TensorInfo t, Shape shape, NDManager manager, DataType target) {
        long n = t.numel();
        int bpe = TensorInfo.bytesPerElement(t.dtype());
        NDArray out = manager.create(new Shape(n), target);
        try {
            ByteBuffer scratch = null;
            for (long start = 0; start < n; start += CHUNK) {
                int len = (int) Math.min(CHUNK, n - start);
                ByteBuffer raw = map(t.begin() + start * bpe, (long) len * bpe);
                NDArray chunk;
                switch (t.dtype()) {
                    case "F32":
                        chunk = manager.create(raw, new Shape(len), DataType.FLOAT32);
                        break;
                    case "F16":
                        chunk = manager.create(raw, new Shape(len), DataType.FLOAT16);
                        break;
                    default: { // BF16 and F64: widened to float32 in Java
                        if (scratch == null) {
                            scratch = ByteBuffer.allocateDirect(4 * (int) Math.min(CHUNK, n))
                                    .order(ByteOrder.nativeOrder());
                        }
                        scratch.clear();
                        if (t.dtype().equals("BF16")) {
                            for (int i = 0; i < len; i++) {
                                scratch.putFloat(Float.intBitsToFloat(Short.toUnsignedInt(raw.getShort(i * 2)) << 16));
                            }
                        } else {
                            for (int i = 0; i < len; i++) {
                                scratch.putFloat((float) raw.getDouble(i * 8));
                            }
                        }
                        scratch.flip();
                        chunk = manager.create(scratch, new Shape(len), DataType.FLOAT32);
                        break;
                    }
                }
                NDArray converted = chunk.getDataType() == target ? chunk : chunk.toType(target, false);
                out.set(new NDIndex(start + ":" + (start + len)), converted);
                converted.close();
                chunk.close();
            }
            NDArray shaped = out.reshape(shape);
            out.close(); // the view keeps the storage
            return shaped;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /**
     * Overwrites {@code target} in place with tensor {@code name} (as float32, or int64 for integer
     * types), after checking that the tensor exists and has the target's shape; the errors name
     * this file and the tensor.
     */
    public void loadInto(String name, NDArray target, NDManager manager) {
        if (!names().contains(name)) {
            throw new CheckpointException(describe() + ": missing tensor " + name);
        }
        String dtype = tensors.get(name).dtype();
        if (target.getDataType().isFloating() != TensorInfo.isFloating(dtype)) {
            throw new CheckpointException(describe() + ": tensor " + name + " is stored as " + dtype + ", but "
                    + (target.getDataType().isFloating() ? "a floating-point" : "an integer") + " tensor is needed");
        }
        try (NDArray v = load(name, manager)) {
            if (!v.getShape().equals(target.getShape())) {
                throw new CheckpointException(describe() + ": tensor " + name + " has shape " + v.getShape()
                        + ", expected " + target.getShape());
            }
            dev.qvgen.layers.nn.EngineOwned.copyInto(target, v);
        }
    }

    /** The raw little-endian bytes of one tensor, mapped from the file. */
    public ByteBuffer map(TensorInfo t) {
        return map(t.begin(), t.end() - t.begin());
    }

    private ByteBuffer map(long position, long size) {
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, position, size)
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot map tensor bytes (" + e.getMessage() + ")", e);
        }
    }

    @Override
    public String describe() {
        return path.toString();
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // Closing a read-only channel cannot lose data.
        }
    }
}

package dev.qvgen.models.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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

    @Override
    public NDArray load(String name, NDManager manager) {
        TensorInfo t = info(name);
        Shape shape = new Shape(t.shape());
        ByteBuffer bytes = map(t);
        switch (t.dtype()) {
            case "F32":
                return manager.create(bytes.asFloatBuffer(), shape, DataType.FLOAT32);
            case "BF16":
            case "F16": {
                // DJL 0.36's JNI has no bfloat16, so half types are widened to float32 here.
                float[] out = new float[Math.toIntExact(t.numel())];
                boolean bf16 = t.dtype().equals("BF16");
                for (int i = 0; i < out.length; i++) {
                    int bits = Short.toUnsignedInt(bytes.getShort(i * 2));
                    out[i] = bf16 ? Float.intBitsToFloat(bits << 16) : HalfFloat.toFloat(bits);
                }
                return manager.create(out, shape);
            }
            case "F64": {
                double[] d = new double[Math.toIntExact(t.numel())];
                bytes.asDoubleBuffer().get(d);
                float[] f = new float[d.length];
                for (int i = 0; i < d.length; i++) {
                    f[i] = (float) d[i];
                }
                return manager.create(f, shape);
            }
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

    /** The raw little-endian bytes of one tensor, mapped from the file. */
    public ByteBuffer map(TensorInfo t) {
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, t.begin(), t.end() - t.begin())
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

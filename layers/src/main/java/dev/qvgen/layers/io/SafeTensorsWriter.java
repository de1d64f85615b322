package dev.qvgen.layers.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/** Writes float32/int64/int32/int8/uint8 tensors (and raw bytes under a named dtype) as a safetensors file, atomically (temp file, then rename). */
public final class SafeTensorsWriter {
    private SafeTensorsWriter() {}

    public static void write(Path out, Map<String, NDArray> tensors, Map<String, String> metadata) throws IOException {
        write(out, tensors, metadata, Map.of());
    }

    /**
     * As {@link #write(Path, Map, Map)}, with the stored dtype of some tensors named explicitly:
     * their bytes are written as they are, under that dtype. DJL has no float8 type, so FP8 codes
     * travel as uint8 arrays and are stored as {@code F8_E4M3} (one byte per element).
     */
    public static void write(Path out, Map<String, NDArray> tensors, Map<String, String> metadata,
            Map<String, String> storedDtypes) throws IOException {
        JsonObject header = new JsonObject();
        JsonObject meta = new JsonObject();
        meta.addProperty("format", "pt");
        metadata.forEach(meta::addProperty);
        header.add("__metadata__", meta);
        long offset = 0;
        ByteBuffer[] data = new ByteBuffer[tensors.size()];
        int i = 0;
        for (var e : tensors.entrySet()) {
            NDArray a = e.getValue();
            String dtype = storedDtypes.containsKey(e.getKey()) ? storedDtypes.get(e.getKey())
                    : dtypeName(e.getKey(), a.getDataType());
            if (storedDtypes.containsKey(e.getKey())
                    && TensorInfo.bytesPerElement(dtype) != a.getDataType().getNumOfBytes()) {
                throw new IllegalArgumentException("tensor " + e.getKey() + " of type " + a.getDataType()
                        + " cannot be stored as " + dtype);
            }
            ByteBuffer b = a.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            data[i++] = b;
            JsonObject t = new JsonObject();
            t.addProperty("dtype", dtype);
            JsonArray shape = new JsonArray();
            for (long d : a.getShape().getShape()) {
                shape.add(d);
            }
            t.add("shape", shape);
            JsonArray off = new JsonArray();
            off.add(offset);
            off.add(offset + b.remaining());
            t.add("data_offsets", off);
            header.add(e.getKey(), t);
            offset += b.remaining();
        }
        byte[] hb = header.toString().getBytes(StandardCharsets.UTF_8);
        int pad = (8 - hb.length % 8) % 8;
        byte[] padded = new byte[hb.length + pad];
        System.arraycopy(hb, 0, padded, 0, hb.length);
        for (int k = hb.length; k < padded.length; k++) {
            padded[k] = ' ';
        }
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try {
            try (OutputStream os = Files.newOutputStream(tmp)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded.length);
                os.write(len.array());
                os.write(padded);
                for (ByteBuffer b : data) {
                    byte[] arr = new byte[b.remaining()];
                    b.get(arr);
                    os.write(arr);
                }
            }
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            // a full disk or a read-only mount: no half-written .tmp stays behind, and the error
            // names the file (a failed write's own message names none)
            Files.deleteIfExists(tmp);
            throw IoErrors.cannot("write", out, e);
        }
    }

    private static String dtypeName(String name, DataType dt) {
        return switch (dt) {
            case FLOAT32 -> "F32";
            case INT64 -> "I64";
            case INT32 -> "I32";
            case UINT8 -> "U8";
            case INT8 -> "I8";
            default -> throw new IllegalArgumentException("cannot write tensor " + name + " of type " + dt);
        };
    }
}

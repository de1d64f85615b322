package dev.qvgen.layers.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Floating-point tensors larger than one conversion chunk load exactly, into engine memory (not
 * Java direct buffers), in float32 or float16.
 */
class ChunkedLoadTest {
    /** More than one chunk, and not a multiple of it. */
    static final int N = SafeTensorsFile.CHUNK + 12345;

    @TempDir
    static Path tmp;

    static Path file;
    static float[] values = new float[N];

    @BeforeAll
    static void write() throws Exception {
        for (int i = 0; i < N; i++) {
            // exactly representable in bf16 and f16 (8 significant bits, small range)
            values[i] = ((i * 37) % 255 - 127) / 64f;
        }
        file = tmp.resolve("big.safetensors");
        String[] dtypes = {"F32", "F16", "BF16", "F64"};
        int[] bpe = {4, 2, 2, 8};
        StringBuilder h = new StringBuilder("{");
        long off = 0;
        for (int d = 0; d < dtypes.length; d++) {
            long end = off + (long) N * bpe[d];
            h.append(d == 0 ? "" : ",").append('"').append(dtypes[d]).append("\":{\"dtype\":\"").append(dtypes[d])
                    .append("\",\"shape\":[").append(N).append(",1],\"data_offsets\":[").append(off).append(',')
                    .append(end).append("]}");
            off = end;
        }
        h.append('}');
        while ((h.length() + 8) % 8 != 0) {
            h.append(' ');
        }
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
            len.flip();
            ch.write(len);
            ch.write(ByteBuffer.wrap(header));
            for (int d = 0; d < dtypes.length; d++) {
                ByteBuffer b = ByteBuffer.allocate(N * bpe[d]).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : values) {
                    switch (dtypes[d]) {
                        case "F32": b.putFloat(v); break;
                        case "F16": b.putShort(HalfFloat.fromFloat(v)); break;
                        case "BF16": b.putShort((short) (Float.floatToIntBits(v) >>> 16)); break;
                        default: b.putDouble(v);
                    }
                }
                b.flip();
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
        }
    }

    private static long directBytes() {
        for (BufferPoolMXBean p : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (p.getName().equals("direct")) {
                return p.getMemoryUsed();
            }
        }
        throw new IllegalStateException("no direct buffer pool");
    }

    @Test
    void everyFloatTypeLoadsExactlyAsFloat32AndFloat16() {
        try (NDManager m = NDManager.newBaseManager(); SafeTensorsFile f = SafeTensorsFile.open(file)) {
            for (String name : new String[] {"F32", "F16", "BF16", "F64"}) {
                for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
                    NDArray a = f.load(name, m, type);
                    assertEquals(type, a.getDataType(), name);
                    assertEquals(new Shape(N, 1), a.getShape(), name);
                    assertArrayEquals(values, a.toType(DataType.FLOAT32, false).toFloatArray(), name + " as " + type);
                    a.close();
                }
            }
        }
    }

    @Test
    void weightsDoNotLiveInJavaDirectMemory() {
        try (NDManager m = NDManager.newBaseManager(); SafeTensorsFile f = SafeTensorsFile.open(file)) {
            long before = directBytes();
            NDArray a = f.load("F32", m);
            NDArray b = f.load("F16", m);
            long grown = directBytes() - before;
            // The old path copied each tensor into a Java direct buffer (N * 4 bytes here), which
            // -XX:MaxDirectMemorySize (default: the heap size) caps: a 57 GB model could not load.
            assertTrue(grown < N, "direct memory grew by " + grown + " bytes for " + 6L * N + " bytes of weights");
            assertEquals(values[N - 1], a.getFloat(N - 1, 0));
            assertEquals(values[N - 1], b.toType(DataType.FLOAT32, false).getFloat(N - 1, 0));
        }
    }
}

package dev.qvgen.layers.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.layers.nn.Tensors;
import dev.qvgen.models.wan.WanTransformer3DModel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Sharded, bfloat16 and float16 checkpoints load; broken ones fail with the file and the problem. */
class CheckpointLoadingTest {
    static final Path TRANSFORMER = Path.of("../shared/fixtures/golden/wan2.1/pipeline/transformer");
    static final Path GOLDEN = Path.of("../shared/fixtures/golden/wan2.1/golden.safetensors");

    @TempDir
    Path tmp;

    @Test
    void shardedBf16AndF16CheckpointsGiveTheReferenceOutput() throws IOException {
        try (NDManager m = NDManager.newBaseManager(); SafeTensorsFile src = SafeTensorsFile.open(
                TRANSFORMER.resolve("diffusion_pytorch_model.safetensors"))) {
            // Round the reference weights to bf16 once; the float32 model with those weights is the expectation.
            Map<String, float[]> rounded = new LinkedHashMap<>();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            for (String n : src.names()) {
                float[] v = src.load(n, m).toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] = Float.intBitsToFloat(Float.floatToIntBits(v[i]) & 0xffff0000);
                }
                rounded.put(n, v);
                shapes.put(n, src.info(n).shape());
            }
            Path f32 = tmp.resolve("f32");
            Path bf16 = tmp.resolve("bf16");
            Path f16 = tmp.resolve("f16");
            for (Path d : List.of(f32, bf16, f16)) {
                Files.createDirectories(d);
                Files.copy(TRANSFORMER.resolve("config.json"), d.resolve("config.json"));
            }
            writeShards(f32, rounded, shapes, "F32");
            writeShards(bf16, rounded, shapes, "BF16");
            writeShards(f16, rounded, shapes, "F16");
            try (SafeTensorsFile g = SafeTensorsFile.open(GOLDEN)) {
                NDArray x = g.load("tr.hidden_states", m);
                NDArray t = g.load("tr.timestep", m);
                NDArray c = g.load("tr.encoder_hidden_states", m);
                NDArray ref = WanTransformer3DModel.fromPretrained(f32, m).forward(x, t, c);
                NDArray fromBf16 = WanTransformer3DModel.fromPretrained(bf16, m).forward(x, t, c);
                NDArray fromF16 = WanTransformer3DModel.fromPretrained(f16, m).forward(x, t, c);
                assertTrue(Tensors.relativeL2(fromBf16, ref) < 1e-6, "bf16 widening must be exact");
                // bf16-rounded values have 8 mantissa bits, which float16 holds exactly in its normal range.
                assertTrue(Tensors.relativeL2(fromF16, ref) < 1e-3);
                // and the bf16 model is close to the float32 reference output
                assertTrue(Tensors.relativeL2(fromBf16, g.load("tr.out", m)) < 5e-2);
            }
        }
    }

    /** Two shards plus an index, as published checkpoints are laid out. */
    private static void writeShards(Path dir, Map<String, float[]> t, Map<String, long[]> shapes, String dtype)
            throws IOException {
        List<String> names = new ArrayList<>(t.keySet());
        List<String> a = names.subList(0, names.size() / 2);
        List<String> b = names.subList(names.size() / 2, names.size());
        String s1 = "diffusion_pytorch_model-00001-of-00002.safetensors";
        String s2 = "diffusion_pytorch_model-00002-of-00002.safetensors";
        RawSafeTensors.write(dir.resolve(s1), a, t, shapes, dtype);
        RawSafeTensors.write(dir.resolve(s2), b, t, shapes, dtype);
        StringBuilder idx = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
        for (int i = 0; i < names.size(); i++) {
            idx.append(i == 0 ? "" : ",").append('"').append(names.get(i)).append("\": \"")
                    .append(i < a.size() ? s1 : s2).append('"');
        }
        Files.writeString(dir.resolve("diffusion_pytorch_model.safetensors.index.json"), idx.append("}}").toString());
    }

    @Test
    void truncatedFileNamesTheFileAndTensor() throws IOException {
        Path dir = copyTransformer();
        Path f = dir.resolve("diffusion_pytorch_model.safetensors");
        byte[] all = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(all, all.length - 100));
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensorsFile.open(f));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void corruptHeaderIsReported() throws IOException {
        Path f = tmp.resolve("bad.safetensors");
        Files.write(f, new byte[] {(byte) 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9});
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensorsFile.open(f));
        assertTrue(e.getMessage().contains("corrupt safetensors header"), e.getMessage());
        Files.write(f, "not a checkpoint".getBytes(StandardCharsets.UTF_8));
        assertThrows(CheckpointException.class, () -> SafeTensorsFile.open(f));
    }

    @Test
    void missingWrongShapeAndUnknownKeysAreNamed() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Path dir = copyTransformer();
            String cfg = Files.readString(dir.resolve("config.json"));
            Files.writeString(dir.resolve("config.json"), cfg.replace("\"ffn_dim\": 48", "\"ffn_dim\": 64"));
            CheckpointException shape = assertThrows(CheckpointException.class,
                    () -> WanTransformer3DModel.fromPretrained(dir, m));
            assertTrue(shape.getMessage().contains("blocks.0.ffn.net.0.proj.weight has shape [48, 32], expected [64, 32]"),
                    shape.getMessage());

            Files.writeString(dir.resolve("config.json"), cfg.replace("\"eps\"", "\"epsilon_typo\": 1, \"eps\""));
            CheckpointException unknown = assertThrows(CheckpointException.class,
                    () -> WanTransformer3DModel.fromPretrained(dir, m));
            assertTrue(unknown.getMessage().contains("unknown config key 'epsilon_typo'"), unknown.getMessage());

            Files.writeString(dir.resolve("config.json"), cfg.replace("\"freq_dim\": 256,", ""));
            CheckpointException missingKey = assertThrows(CheckpointException.class,
                    () -> WanTransformer3DModel.fromPretrained(dir, m));
            assertTrue(missingKey.getMessage().contains("missing config key 'freq_dim'"), missingKey.getMessage());

            Files.writeString(dir.resolve("config.json"), cfg.replace("\"num_layers\": 2", "\"num_layers\": 3"));
            CheckpointException missing = assertThrows(CheckpointException.class,
                    () -> WanTransformer3DModel.fromPretrained(dir, m));
            assertTrue(missing.getMessage().contains("missing tensor blocks.2."), missing.getMessage());

            CheckpointException noDir = assertThrows(CheckpointException.class,
                    () -> WanTransformer3DModel.fromPretrained(tmp.resolve("nope"), m));
            assertTrue(noDir.getMessage().contains("nope"), noDir.getMessage());
        }
    }

    private Path copyTransformer() throws IOException {
        Path dir = tmp.resolve("transformer");
        Files.createDirectories(dir);
        for (String n : List.of("config.json", "diffusion_pytorch_model.safetensors")) {
            Files.copy(TRANSFORMER.resolve(n), dir.resolve(n));
        }
        return dir;
    }

    /** Writes float32 data as F32, BF16 (truncation) or F16 safetensors, for the loader tests. */
    static final class RawSafeTensors {
        static void write(Path f, List<String> names, Map<String, float[]> t, Map<String, long[]> shapes, String dtype)
                throws IOException {
            int bpe = dtype.equals("F32") ? 4 : 2;
            StringBuilder h = new StringBuilder("{");
            long off = 0;
            for (String n : names) {
                long len = (long) t.get(n).length * bpe;
                h.append(h.length() > 1 ? "," : "").append('"').append(n).append("\":{\"dtype\":\"").append(dtype)
                        .append("\",\"shape\":").append(java.util.Arrays.toString(shapes.get(n)).replace(" ", ""))
                        .append(",\"data_offsets\":[").append(off).append(',').append(off + len).append("]}");
                off += len;
            }
            byte[] header = h.append('}').toString().getBytes(StandardCharsets.UTF_8);
            ByteBuffer data = ByteBuffer.allocate((int) off).order(ByteOrder.LITTLE_ENDIAN);
            for (String n : names) {
                for (float v : t.get(n)) {
                    switch (dtype) {
                        case "F32" -> data.putFloat(v);
                        case "BF16" -> data.putShort((short) (Float.floatToIntBits(v) >>> 16));
                        default -> data.putShort(HalfFloat.fromFloat(v));
                    }
                }
            }
            try (OutputStream os = Files.newOutputStream(f)) {
                os.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
                os.write(header);
                os.write(data.array());
            }
        }
    }
}

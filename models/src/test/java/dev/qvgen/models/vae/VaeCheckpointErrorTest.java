package dev.qvgen.models.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.io.SafeTensorsWriter;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Broken VAE checkpoints fail before any tensor is assigned, naming the file and the tensor. */
class VaeCheckpointErrorTest {
    @TempDir
    Path tmp;

    private Path copyWith(Path vae, String tensor, boolean reshape, String configEdit) throws IOException {
        Path dir = tmp.resolve("vae");
        Files.createDirectories(dir);
        String config = Files.readString(vae.resolve("config.json"));
        if (configEdit != null) {
            config = config.replaceFirst("\\{", "{\n  " + configEdit + ",");
        }
        Files.writeString(dir.resolve("config.json"), config);
        try (NDManager m = NDManager.newBaseManager();
                SafeTensorsFile src = SafeTensorsFile.open(vae.resolve("diffusion_pytorch_model.safetensors"))) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (String n : src.names()) {
                NDArray a = src.load(n, m);
                if (n.equals(tensor)) {
                    if (!reshape) {
                        continue;
                    }
                    // Drop the last kernel column: (out, in, k, k, k) → (out, in, k, k, k − 1).
                    a = a.get(":, :, :, :, 1:");
                }
                tensors.put(n, a);
            }
            SafeTensorsWriter.write(dir.resolve("diffusion_pytorch_model.safetensors"), tensors, Map.of());
        }
        return dir;
    }

    @ParameterizedTest
    @CsvSource({
        "wan2.1, decoder.up_blocks.1.resnets.0.conv1.weight, '[16, 8, 3, 3, 2]', '[16, 8, 3, 3, 3]'",
        "cogvideox-2b, decoder.conv_in.conv.weight, '[16, 4, 3, 3, 2]', '[16, 4, 3, 3, 3]'"})
    void misShapedWeightIsReportedWithFileTensorAndShapes(String family, String tensor, String got, String want)
            throws IOException {
        Path dir = copyWith(Path.of("../shared/fixtures/golden", family, "pipeline/vae"), tensor, true, null);
        try (NDManager m = NDManager.newBaseManager()) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> VideoVaes.fromPretrained(dir, m));
            assertEquals(dir.resolve("diffusion_pytorch_model.safetensors") + ": tensor " + tensor + " has shape "
                    + got + ", expected " + want, e.getMessage());
        }
    }

    @ParameterizedTest
    @CsvSource({"wan2.1, decoder.norm_out.gamma", "cogvideox-2b, decoder.norm_out.norm_layer.weight"})
    void missingWeightIsReported(String family, String tensor) throws IOException {
        Path dir = copyWith(Path.of("../shared/fixtures/golden", family, "pipeline/vae"), tensor, false, null);
        try (NDManager m = NDManager.newBaseManager()) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> VideoVaes.fromPretrained(dir, m));
            assertTrue(e.getMessage().endsWith(": missing tensor " + tensor), e.getMessage());
        }
    }

    @ParameterizedTest
    @CsvSource({"wan2.1", "cogvideox-2b"})
    void unknownConfigKeyIsReported(String family) throws IOException {
        Path dir = copyWith(Path.of("../shared/fixtures/golden", family, "pipeline/vae"), "", true,
                "\"use_magic\": true");
        try (NDManager m = NDManager.newBaseManager()) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> VideoVaes.fromPretrained(dir, m));
            assertEquals(dir.resolve("config.json") + ": unknown config key 'use_magic'", e.getMessage());
        }
    }
}

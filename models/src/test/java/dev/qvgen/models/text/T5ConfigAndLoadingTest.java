package dev.qvgen.models.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.io.SafeTensorsWriter;
import dev.qvgen.layers.nn.Tensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

class T5ConfigAndLoadingTest {
    static final Path TE = Path.of("../shared/fixtures/golden/cogvideox-2b/pipeline/text_encoder");

    @TempDir
    Path tmp;

    @Test
    void unknownAndUnsupportedConfigKeysAreErrorsNamingTheKey() throws IOException {
        String json = Files.readString(TE.resolve("config.json"));
        Path f = tmp.resolve("config.json");
        Files.writeString(f, json.replaceFirst("\\{", "{\"rotary_dim\": 8,"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> T5Config.read(f));
        assertTrue(e.getMessage().contains("rotary_dim") && e.getMessage().contains(f.toString()), e.getMessage());
        Files.writeString(f, json.replace("\"model_type\": \"t5\"", "\"model_type\": \"mt5x\""));
        e = assertThrows(CheckpointException.class, () -> T5Config.read(f));
        assertTrue(e.getMessage().contains("model_type"), e.getMessage());
    }

    @Test
    void loadsCheckpointsThatStoreOnlyTheTiedEmbeddingCopy() throws IOException {
        Path dir = tmp.resolve("text_encoder");
        Files.createDirectories(dir);
        Files.copy(TE.resolve("config.json"), dir.resolve("config.json"));
        try (NDManager m = NDManager.newBaseManager(); SafeTensorsFile src = SafeTensorsFile.open(TE.resolve("model.safetensors"))) {
            Map<String, NDArray> renamed = new LinkedHashMap<>();
            for (String n : src.names()) {
                renamed.put(n.equals("shared.weight") ? "encoder.embed_tokens.weight" : n, src.load(n, m));
            }
            SafeTensorsWriter.write(dir.resolve("model.safetensors"), renamed, Map.of("format", "pt"));
            T5EncoderModel a = T5EncoderModel.fromPretrained(TE, m);
            T5EncoderModel b = T5EncoderModel.fromPretrained(dir, m);
            NDArray ids = m.create(new long[] {3, 4, 77, 12, 1, 0}).reshape(1, 6);
            assertEquals(0.0, Tensors.relativeL2(b.forward(ids, null), a.forward(ids, null)), 0.0);
        }
    }

    @Test
    void missingTensorIsAnErrorNamingIt() throws IOException {
        Path dir = tmp.resolve("broken");
        Files.createDirectories(dir);
        Files.copy(TE.resolve("config.json"), dir.resolve("config.json"));
        try (NDManager m = NDManager.newBaseManager(); SafeTensorsFile src = SafeTensorsFile.open(TE.resolve("model.safetensors"))) {
            Map<String, NDArray> some = new LinkedHashMap<>();
            for (String n : src.names()) {
                if (!n.equals("encoder.block.1.layer.1.DenseReluDense.wo.weight")) {
                    some.put(n, src.load(n, m));
                }
            }
            SafeTensorsWriter.write(dir.resolve("model.safetensors"), some, Map.of());
            CheckpointException e = assertThrows(CheckpointException.class, () -> T5EncoderModel.fromPretrained(dir, m));
            assertTrue(e.getMessage().contains("encoder.block.1.layer.1.DenseReluDense.wo.weight"), e.getMessage());
        }
    }
}

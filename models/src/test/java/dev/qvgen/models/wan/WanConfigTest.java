package dev.qvgen.models.wan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.qvgen.layers.io.CheckpointException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

/** Configs written by the diffusers release Wan2.1 was published with (no pos_embed_seq_len) load. */
class WanConfigTest {
    private static final Path GOLDEN = Path.of("../shared/fixtures/golden/wan2.1/pipeline/transformer/config.json");

    @TempDir
    Path tmp;

    private Path write(JsonObject o) throws Exception {
        Path f = tmp.resolve("config.json");
        Files.writeString(f, o.toString());
        return f;
    }

    private static JsonObject golden() throws Exception {
        return JsonParser.parseString(Files.readString(GOLDEN)).getAsJsonObject();
    }

    @Test
    void posEmbedSeqLenIsOptional() throws Exception {
        JsonObject o = golden();
        o.remove("pos_embed_seq_len");
        o.addProperty("_diffusers_version", "0.33.0.dev0");
        WanConfig c = WanConfig.read(write(o));
        assertEquals(WanConfig.read(GOLDEN).toJson(), c.toJson());
    }

    @Test
    void posEmbedSeqLenOtherThanNullIsRejected() throws Exception {
        JsonObject o = golden();
        o.addProperty("pos_embed_seq_len", 514);
        CheckpointException e = assertThrows(CheckpointException.class, () -> WanConfig.read(write(o)));
        assertTrue(e.getMessage().contains("pos_embed_seq_len"), e.getMessage());
    }

    @Test
    void keysOfTheFirstReleaseStayRequired() throws Exception {
        for (String key : new String[] {"rope_max_seq_len", "image_dim", "qk_norm"}) {
            JsonObject o = golden();
            o.remove(key);
            CheckpointException e = assertThrows(CheckpointException.class, () -> WanConfig.read(write(o)), key);
            assertTrue(e.getMessage().contains(key), e.getMessage());
        }
    }

    @Test
    void unknownKeysStayErrors() throws Exception {
        JsonObject o = golden();
        o.addProperty("posembed_seq_len", 1);
        assertThrows(CheckpointException.class, () -> WanConfig.read(write(o)));
    }
}

package dev.qvgen.models.parity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.nn.Tensors;
import dev.qvgen.models.pipeline.VideoPipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The whole-pipeline part of {@link GoldenParity}: {@code pipe.latents} (the reference's initial
 * noise) through the text-to-video pipeline with the settings of {@code golden.json} (prompt,
 * negative prompt, size, steps, guidance, max_sequence_length) to {@code pipe.frames}.
 */
final class PipelineParity {
    private PipelineParity() {}

    static void compare(Path pipelineDir, Path goldenFile, SafeTensorsFile g, NDManager m,
            Map<String, ParityResult> done) {
        if (!g.names().contains("pipe.frames") || !g.names().contains("pipe.latents")) {
            return;
        }
        Path settingsFile = goldenFile.resolveSibling("golden.json");
        if (!Files.isRegularFile(settingsFile)) {
            done.put("pipe.frames", ParityResult.skipped("pipe.frames", "no golden.json with the settings"));
            return;
        }
        JsonObject j;
        try {
            j = JsonParser.parseString(Files.readString(settingsFile)).getAsJsonObject();
        } catch (IOException e) {
            throw new CheckpointException(settingsFile + ": cannot read (" + e.getMessage() + ")", e);
        }
        VideoPipeline.Settings s = new VideoPipeline.Settings(j.get("height").getAsInt(), j.get("width").getAsInt(),
                j.get("num_frames").getAsInt(), j.get("steps").getAsInt(), j.get("guidance_scale").getAsDouble(),
                j.get("max_sequence_length").getAsInt());
        String negative = j.has("negative_prompt") && !j.get("negative_prompt").isJsonNull()
                ? j.get("negative_prompt").getAsString() : "";
        try (NDManager sub = m.newSubManager(); NDScope scope = new NDScope();
                VideoPipeline p = VideoPipeline.fromPretrained(pipelineDir, sub)) {
            NDArray frames = p.generate(j.get("prompt").getAsString(), negative, g.load("pipe.latents", sub), s,
                    // The golden schedulers are deterministic; a stochastic one could not be replayed.
                    (mgr, shape) -> {
                        throw new IllegalStateException("the golden pipeline's scheduler draws noise");
                    });
            NDArray expected = g.load("pipe.frames", sub);
            double err = expected.getShape().equals(frames.getShape())
                    ? Tensors.relativeL2(frames, expected) : Double.NaN;
            done.put("pipe.frames", ParityResult.compared("pipe.frames", err, GoldenParity.FRAMES_TOLERANCE));
        }
    }
}

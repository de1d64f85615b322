package dev.qvgen.harness.study;

import dev.qvgen.harness.run.Fingerprint;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a zoo model's teacher outputs depend on, recorded in a teacher cache and compared by every
 * run that reads it: the model (transformer weights and config, scheduler config, which the
 * training noise comes from; not its name, which a registered model and its bare pipeline
 * directory spell differently), the clips ({@code --data}), the batch stream's seed, the samples per
 * forward and caption dropout (with the index, they fix each micro-batch's latents, timesteps and
 * noise), and the teacher's precision. Fingerprints are {@link Fingerprint}'s (large files by
 * their size and edges). The step count is not part of it: a cache covers micro-batches 0..n-1
 * and serves any run that needs no more.
 */
public final class TeacherCacheIdentity {
    private TeacherCacheIdentity() {}

    public static Map<String, String> of(Path pipelineDir, Path dataDir, QatRecipe r, boolean bf16) {
        Map<String, String> id = new LinkedHashMap<>();
        id.put("transformer", Fingerprint.ofDirectory(pipelineDir.resolve("transformer")));
        Path scheduler = pipelineDir.resolve("scheduler");
        id.put("scheduler", Files.isDirectory(scheduler) ? Fingerprint.ofDirectory(scheduler) : "none");
        id.put("data", Fingerprint.ofDirectory(dataDir));
        id.put("sampling_seed", String.valueOf(QatArm.TRAINING_STREAM + r.seed()));
        id.put("samples_per_forward", String.valueOf(r.batch()));
        id.put("caption_dropout", String.valueOf(r.captionDropout()));
        id.put("teacher_precision", bf16 ? "bf16" : "fp32");
        return id;
    }

    /** What a cache records without comparing it: the model's name and the device kind the teacher ran on. */
    public static Map<String, String> about(String modelName, ai.djl.Device device) {
        Map<String, String> about = new LinkedHashMap<>();
        about.put("model", modelName);
        about.put("device", device.isGpu() ? "gpu" : "cpu");
        return about;
    }
}

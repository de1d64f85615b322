package dev.qvgen.models.cogvideox;

import ai.djl.ndarray.NDManager;

import dev.qvgen.models.family.DenoisingTransformer;
import dev.qvgen.models.family.ModelFamily;
import dev.qvgen.models.pipeline.VideoPipeline;

import java.nio.file.Path;
import java.util.List;

/** CogVideoX 1.0 and 1.5 text-to-video (diffusers' CogVideoXPipeline with CogVideoXTransformer3DModel). */
public final class CogVideoXFamily implements ModelFamily {
    @Override
    public String name() {
        return "cogvideox";
    }

    @Override
    public String pipelineClass() {
        return "CogVideoXPipeline";
    }

    @Override
    public String transformerClass() {
        return "CogVideoXTransformer3DModel";
    }

    @Override
    public List<String> schedulerClasses() {
        return CogVideoXPipeline.SCHEDULERS;
    }

    /** The 1.0 model card: 8 frames per second (1.5 exports at 16: its registry entry says so). */
    @Override
    public int defaultFps() {
        return 8;
    }

    @Override
    public VideoPipeline loadPipeline(Path dir, NDManager manager) {
        return CogVideoXPipeline.fromPretrained(dir, manager);
    }

    @Override
    public dev.qvgen.models.family.TrainingNoise trainingNoise(Path pipelineDir) {
        return dev.qvgen.models.family.TrainingNoise.ddpm(dev.qvgen.models.sched.CogVideoXSchedulerConfig.read(
                pipelineDir.resolve("scheduler/scheduler_config.json")).alphasCumprod());
    }

    @Override
    public DenoisingTransformer loadTransformer(Path transformerDir, NDManager manager) {
        return CogVideoXTransformer3DModel.fromPretrained(transformerDir, manager);
    }
}

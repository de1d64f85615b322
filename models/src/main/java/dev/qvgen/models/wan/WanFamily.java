package dev.qvgen.models.wan;

import ai.djl.ndarray.NDManager;

import dev.qvgen.models.family.DenoisingTransformer;
import dev.qvgen.models.family.ModelFamily;
import dev.qvgen.models.pipeline.VideoPipeline;

import java.nio.file.Path;
import java.util.List;

/** Wan2.1 text-to-video (diffusers' WanPipeline with WanTransformer3DModel). */
public final class WanFamily implements ModelFamily {
    @Override
    public String name() {
        return "wan2.1";
    }

    @Override
    public String pipelineClass() {
        return "WanPipeline";
    }

    @Override
    public String transformerClass() {
        return "WanTransformer3DModel";
    }

    @Override
    public List<String> schedulerClasses() {
        return WanPipeline.SCHEDULERS;
    }

    /** pipeline_wan.py's examples export at fps=16. */
    @Override
    public int defaultFps() {
        return 16;
    }

    @Override
    public VideoPipeline loadPipeline(Path dir, NDManager manager) {
        return WanPipeline.fromPretrained(dir, manager);
    }

    @Override
    public dev.qvgen.models.family.TrainingNoise trainingNoise(Path pipelineDir) {
        return dev.qvgen.models.family.TrainingNoise.flowMatching();
    }

    @Override
    public DenoisingTransformer loadTransformer(Path transformerDir, NDManager manager) {
        return WanTransformer3DModel.fromPretrained(transformerDir, manager);
    }
}

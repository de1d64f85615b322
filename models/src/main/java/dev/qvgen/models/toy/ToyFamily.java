package dev.qvgen.models.toy;

import ai.djl.ndarray.NDManager;

import dev.qvgen.models.family.DenoisingTransformer;
import dev.qvgen.models.family.ModelFamily;
import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.models.pipeline.VideoPipeline;
import dev.qvgen.models.wan.WanTransformer3DModel;

import java.nio.file.Path;
import java.util.List;

/**
 * The toy world's text-to-video model: Wan's transformer class over pixel patches, a small text
 * encoder over the world's word ids, and the flow-match Euler sampler ({@link ToyPipeline}).
 */
public final class ToyFamily implements ModelFamily {
    @Override
    public String name() {
        return "toy";
    }

    @Override
    public String pipelineClass() {
        return "ToyWanPipeline";
    }

    @Override
    public String transformerClass() {
        return "WanTransformer3DModel";
    }

    @Override
    public List<String> schedulerClasses() {
        return List.of("FlowMatchEulerDiscreteScheduler");
    }

    @Override
    public int defaultFps() {
        return 8;
    }

    /**
     * The toy pipeline takes the world's token ids, which the world's vocabulary (suites) makes,
     * so it is driven by the study and {@code qvgen toy}, not by prompt-string pipelines.
     */
    @Override
    public VideoPipeline loadPipeline(Path dir, NDManager manager) {
        throw new CheckpointException(dir.resolve("model_index.json") + ": a ToyWanPipeline is generated through "
                + "`qvgen reproduce` or `qvgen toy generate` (it takes toy-world token ids, not prompt text)");
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

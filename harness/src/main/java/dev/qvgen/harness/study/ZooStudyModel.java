package dev.qvgen.harness.study;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.models.family.DenoisingTransformer;
import dev.qvgen.models.family.ModelFamily;
import dev.qvgen.models.family.TrainingNoise;
import dev.qvgen.models.pipeline.VideoPipeline;
import dev.qvgen.quantizer.qat.QatTrainer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A diffusers text-to-video pipeline (any registered family) in the study: generation one prompt
 * at a time through the pipeline, as VBench's sampling scripts do, and training batches drawn from
 * encoded clips ({@link LatentSource}) noised by the family's own training objective.
 */
public final class ZooStudyModel implements StudyModel {
    private final String name;
    private final Path pipelineDir;
    private final ModelFamily family;
    private final LatentSource data;
    private final int fps;
    private final VideoPipeline.Settings size;

    /**
     * @param data encoded training clips; null when no arm trains or calibrates
     * @param size frames, height, width (steps and guidance come from the plan's sampling)
     */
    public ZooStudyModel(String name, Path pipelineDir, LatentSource data, int fps, int frames, int height,
            int width) {
        this.name = name;
        this.pipelineDir = pipelineDir;
        this.family = dev.qvgen.models.family.ModelFamilies.of(pipelineDir);
        this.data = data;
        this.fps = fps;
        this.size = new VideoPipeline.Settings(height, width, frames, 1, 1, 1);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int fps() {
        return fps;
    }

    @Override
    public void close() {
        if (data != null) {
            data.close();
        }
    }

    @Override
    public int generationBatch() {
        return 1;
    }

    @Override
    public Instance load(NDManager manager) {
        VideoPipeline pipe = family.loadPipeline(pipelineDir, manager);
        return new Instance() {
            @Override
            public DenoisingTransformer transformer() {
                return pipe.transformer();
            }

            @Override
            public float[][][][][] generate(NDManager m, List<Sample> batch, Sampling sampling) {
                float[][][][][] out = new float[batch.size()][][][][];
                VideoPipeline.Settings s = new VideoPipeline.Settings(size.height(), size.width(), size.frames(),
                        sampling.steps(), sampling.guidance(), pipe.defaultMaxSequenceLength());
                for (int i = 0; i < batch.size(); i++) {
                    try (NDManager sub = m.newSubManager()) {
                        VideoPipeline.Noise noise = VideoPipeline.Noise.seeded(batch.get(i).seed());
                        NDArray video = pipe.generate(batch.get(i).prompt(), "", noise.next(sub, pipe.latentShape(s)), s,
                                noise);
                        out[i] = VideoPipeline.toArrays(video);
                    }
                }
                return out;
            }

            @Override
            public void close() {
                pipe.close();
            }
        };
    }

    @Override
    public boolean checkpointsActivationsByDefault() {
        return true;
    }

    @Override
    public Instance loadForTraining(NDManager manager) {
        DenoisingTransformer t = family.loadTransformer(pipelineDir.resolve("transformer"), manager);
        return new Instance() {
            @Override
            public DenoisingTransformer transformer() {
                return t;
            }

            @Override
            public float[][][][][] generate(NDManager m, List<Sample> batch, Sampling sampling) {
                throw new IllegalStateException("a model loaded for training has no text encoder or VAE");
            }
        };
    }

    /**
     * Batch {@code index} of stream {@code stream}: clips drawn uniformly from the data (with
     * replacement), noise levels uniform, Gaussian noise, each from the generator of that
     * (stream, index) alone; a dropped caption is replaced by the empty prompt's states.
     */
    @Override
    public Batches batches(Instance teacher) {
        if (data == null) {
            throw new BadInputException(name + ": this arm trains or calibrates, and no training data was given "
                    + "(--data DIR from `qvgen data prepare`)");
        }
        TrainingNoise objective = family.trainingNoise(pipelineDir);
        return (stream, index, batchSize, captionDropout, manager) -> {
            SplittableRandom rng = new SplittableRandom(stream * 1_000_003L + index);
            List<NDArray> x0 = new ArrayList<>();
            List<NDArray> text = new ArrayList<>();
            float[] u = new float[batchSize];
            for (int i = 0; i < batchSize; i++) {
                int clip = rng.nextInt(data.size());
                NDArray mean = data.latents(clip, manager);
                NDArray eps = VideoPipeline.Noise.from(rng).next(manager, mean.getShape());
                x0.add(mean.add(data.latentStd(clip, manager).mul(eps)).expandDims(0));
                boolean drop = rng.nextDouble() < captionDropout;
                text.add((drop ? data.emptyText(manager) : data.text(clip, manager)).expandDims(0));
                u[i] = (float) rng.nextDouble();
            }
            NDArray clean = NDArrays.concat(new NDList(x0), 0);
            NDArray noise = VideoPipeline.Noise.from(rng).next(manager, clean.getShape());
            TrainingNoise.Noised n = objective.apply(clean, noise, u);
            return new QatTrainer.Batch(n.input(), n.timesteps(), NDArrays.concat(new NDList(text), 0), clean);
        };
    }
}

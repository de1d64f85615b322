package dev.qvgen.harness.toy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.harness.study.OutputFidelity;
import dev.qvgen.harness.study.StudyModel;
import dev.qvgen.models.family.DenoisingTransformer;
import dev.qvgen.models.toy.ToyPipeline;
import dev.qvgen.models.toy.ToyVideoModel;
import dev.qvgen.models.zoo.ModelSpec;
import dev.qvgen.quantizer.qat.QatTrainer;
import dev.qvgen.suites.toy.ToyScene;
import dev.qvgen.suites.toy.ToyVocabulary;
import dev.qvgen.suites.toy.ToyWorld;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The toy world's model in the study: the checkpoint of {@code checkpoints/toy-wan}, generation
 * in batches of toy-world captions, and training batches rendered by the world itself (clean
 * clips noised at uniform timesteps, captions encoded by the teacher's text encoder).
 */
public final class ToyStudyModel implements StudyModel {
    /** What the toy study scores: the world's ground truth and two classical VBench dimensions. */
    public static final List<String> METRICS = List.of("toy_color", "toy_shape", "toy_motion", "toy_persistence",
            "temporal_flickering", "dynamic_degree");

    private final ToyWorld world;
    private final Path modelDir;
    private final int batch;
    private final ToyVocabulary vocab = new ToyVocabulary();

    /**
     * @param batch videos generated together (a float GEMM's rounding can depend on the batch
     *     size, so the same batches are needed for the same bits)
     */
    public ToyStudyModel(ToyWorld world, Path modelDir, int batch) {
        this.world = world;
        this.modelDir = modelDir;
        this.batch = batch;
    }

    @Override
    public String name() {
        return ModelSpec.TOY;
    }

    @Override
    public int fps() {
        return world.fps();
    }

    @Override
    public int generationBatch() {
        return batch;
    }

    @Override
    public Instance load(NDManager manager) {
        ToyVideoModel model = ToyVideoModel.load(modelDir, manager);
        return new Loaded(model);
    }

    @Override
    public Batches batches(Instance teacher) {
        ToyVideoModel t = ((Loaded) teacher).model;
        return (stream, index, size, captionDropout, manager) -> {
            ToyBatch b = ToyBatch.sample(world, vocab, size, ToyBatch.rng(stream, index), captionDropout,
                    ToyBatch.Sigmas.UNIFORM, manager);
            // The text encoder is not quantized; its states are the teacher's, outside autograd.
            NDArray text = t.textEncoder().forward(b.ids()).stopGradient();
            return new QatTrainer.Batch(t.input(b.noisy()), b.timesteps(), text, b.x0());
        };
    }

    /**
     * {@link ToyOutputFidelity}: the prompt's clip, placed by the seed and noised with the seed's
     * noise, through both transformers. Only the toy can: it needs the prompt's reference clip,
     * which the toy world renders from the caption.
     */
    @Override
    public Optional<OutputFidelity> outputFidelity() {
        return Optional.of((fp, deployed, sample, manager) -> ToyOutputFidelity.of(((Loaded) fp).model,
                ((Loaded) deployed).model, world, ToyScene.parse(sample.prompt()), sample.prompt(), sample.seed(),
                manager));
    }

    private final class Loaded implements Instance {
        private final ToyVideoModel model;

        Loaded(ToyVideoModel model) {
            this.model = model;
        }

        @Override
        public DenoisingTransformer transformer() {
            return model.transformer();
        }

        @Override
        public float[][][][][] generate(NDManager manager, List<Sample> samples, Sampling sampling) {
            ToyPipeline pipe = new ToyPipeline(model, world.frames(), world.height(), world.width());
            ToyPipeline.Settings s = new ToyPipeline.Settings(sampling.steps(), (float) sampling.guidance(),
                    sampling.shift() == null ? ToyPipeline.Settings.defaults().shift() : sampling.shift());
            List<long[]> ids = new ArrayList<>();
            List<Long> seeds = new ArrayList<>();
            for (Sample smp : samples) {
                int[] tok = vocab.encode(smp.prompt(), ToyVocabulary.DEFAULT_MAX_LENGTH);
                long[] l = new long[tok.length];
                for (int k = 0; k < tok.length; k++) {
                    l[k] = tok[k];
                }
                ids.add(l);
                seeds.add(smp.seed());
            }
            return pipe.generate(manager, ids, seeds, s);
        }
    }
}

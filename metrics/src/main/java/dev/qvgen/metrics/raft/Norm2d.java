package dev.qvgen.metrics.raft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import dev.qvgen.layers.nn.Module;

/** RAFT's two normalisations: BatchNorm2d in eval mode (cnet) and affine-free InstanceNorm2d (fnet). */
abstract class Norm2d extends Module {
    static final float EPS = 1e-5f;

    abstract NDArray forward(NDArray x);

    static Norm2d of(NormKind kind, int channels) {
        return kind == NormKind.BATCH ? new Batch(channels) : new Instance();
    }

    enum NormKind {
        /** nn.BatchNorm2d with its running statistics (the model is evaluated in eval mode). */
        BATCH,
        /** nn.InstanceNorm2d(affine=False, track_running_stats=False): per-sample statistics, no weights. */
        INSTANCE
    }

    /** nn.BatchNorm2d(channels) evaluated with running mean/var; num_batches_tracked is not needed. */
    static final class Batch extends Norm2d {
        private final Parameter weight;
        private final Parameter bias;
        private final Parameter runningMean;
        private final Parameter runningVar;

        Batch(int channels) {
            weight = param("weight", new Shape(channels));
            bias = param("bias", new Shape(channels));
            runningMean = param("running_mean", new Shape(channels));
            runningVar = param("running_var", new Shape(channels));
        }

        @Override
        NDArray forward(NDArray x) {
            return BatchNorm.batchNorm(x, runningMean.getArray(), runningVar.getArray(), weight.getArray(),
                    bias.getArray(), 1, 0.1f, EPS, false).singletonOrThrow();
        }
    }

    /** Normalises each (sample, channel) plane by its own mean and biased variance. */
    static final class Instance extends Norm2d {
        @Override
        NDArray forward(NDArray x) {
            // DJL's PyTorch mean takes one axis: flatten each plane first.
            ai.djl.ndarray.types.Shape shape = x.getShape();
            NDArray planes = x.reshape(shape.get(0), shape.get(1), -1);
            NDArray centred = planes.sub(planes.mean(new int[] {2}, true));
            NDArray var = centred.square().mean(new int[] {2}, true);
            return centred.div(var.add(EPS).sqrt()).reshape(shape);
        }
    }
}

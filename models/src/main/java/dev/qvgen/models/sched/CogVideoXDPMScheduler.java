package dev.qvgen.models.sched;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Scalars;

import java.nio.file.Path;

/**
 * diffusers' {@code CogVideoXDPMScheduler}: the stochastic DPM-Solver++ (2M SDE) step of the
 * CogVideoX pipelines, on the same schedule as {@link CogVideoXDDIMScheduler}.
 *
 * <p>Like the reference, a step draws fresh Gaussian noise: once on the first and the last step,
 * twice on the others (the first draw is then discarded). The draws come from a {@link Noise}
 * the caller passes, so a recorded noise sequence replays the reference exactly.
 */
public final class CogVideoXDPMScheduler extends CogVideoXScheduler {

    /** Source of standard-normal noise shaped like the sample. */
    @FunctionalInterface
    public interface Noise extends Scheduler.Noise {

        /** Noise from the sample's manager ({@code randomNormal}), for generation. */
        static Noise gaussian() {
            return like -> like.getManager().randomNormal(0f, 1f, like.getShape(), like.getDataType(), like.getDevice());
        }

        /** Zero noise (the deterministic part of the step), for tests. */
        static Noise zero() {
            return like -> like.zerosLike();
        }
    }

    /** The next sample and the x0 prediction to pass back as {@code oldPredOriginalSample}. */
    public record Step(NDArray prevSample, NDArray predOriginalSample) {}


    /** The x0 prediction of the last {@link #step(NDArray, int, NDArray, Scheduler.Noise)}, fed to the next. */
    private NDArray oldPredOriginal;

    public CogVideoXDPMScheduler(CogVideoXSchedulerConfig config) {
        super(config);
    }

    public static CogVideoXDPMScheduler fromConfig(Path file) {
        return new CogVideoXDPMScheduler(CogVideoXSchedulerConfig.read(file));
    }

    @Override
    public void setTimesteps(int steps) {
        super.setTimesteps(steps);
        oldPredOriginal = null;
    }

    /** The pipeline's call: the previous timestep and x0 prediction come from this scheduler's own state. */
    @Override
    public NDArray step(NDArray modelOutput, int index, NDArray sample, Scheduler.Noise noise) {
        Step r = step(modelOutput, index == 0 ? null : oldPredOriginal, timesteps[index],
                index > 0 ? timesteps[index - 1] : null, sample, noise::next);
        oldPredOriginal = r.predOriginalSample();
        return r.prevSample();
    }

    @Override
    public java.util.List<NDArray> state() {
        return oldPredOriginal == null ? java.util.List.of() : java.util.List.of(oldPredOriginal);
    }

    private static double lambda(double a) {
        return Math.log(Math.sqrt(a / (1 - a)));
    }

    /**
     * One step, called as the CogVideoX pipeline does: {@code timestepBack} is the timestep of the
     * previous loop iteration (null on the first), {@code oldPredOriginalSample} the x0 prediction
     * that iteration returned (null on the first).
     */
    public Step step(NDArray modelOutput, NDArray oldPredOriginalSample, long timestep, Long timestepBack,
            NDArray sample, Noise noise) {
        if (timesteps.length == 0) {
            throw new IllegalStateException("call setTimesteps before step");
        }
        long prevT = timestep - config.numTrainTimesteps() / timesteps.length;
        double a = alphasCumprod[(int) timestep];
        double aPrev = prevT >= 0 ? alphasCumprod[(int) prevT] : finalAlphaCumprod;
        NDArray x0 = CogVideoXDDIMScheduler.predictOriginal(modelOutput, sample, a, config.predictionType());

        double lamb = lambda(a);
        double h = lambda(aPrev) - lamb;
        double mult1 = Math.sqrt((1 - aPrev) / (1 - a)) * Math.exp(-h);
        double mult2 = Math.expm1(-2 * h) * Math.sqrt(aPrev);
        double multNoise = Math.sqrt(1 - aPrev) * Math.sqrt(1 - Math.exp(-2 * h));

        NDArray prev = Scalars.mul(sample, (float) mult1).sub(Scalars.mul(x0, (float) mult2))
                .add(Scalars.mul(noise.next(sample), (float) multNoise));
        if (oldPredOriginalSample == null || prevT < 0) {
            return new Step(prev, x0);
        }
        double aBack = alphasCumprod[(int) (long) timestepBack];
        double r = (lamb - lambda(aBack)) / h;
        double mult3 = 1 + 1 / (2 * r);
        double mult4 = 1 / (2 * r);
        NDArray denoised = Scalars.mul(x0, (float) mult3).sub(Scalars.mul(oldPredOriginalSample, (float) mult4));
        NDArray advanced = Scalars.mul(sample, (float) mult1).sub(Scalars.mul(denoised, (float) mult2))
                .add(Scalars.mul(noise.next(sample), (float) multNoise));
        return new Step(advanced, x0);
    }
}

package dev.qvgen.bench.quantizer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import dev.qvgen.layers.nn.ForwardContext;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.ModuleList;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.UniformQuantizer;
import dev.qvgen.quantizer.deploy.BitPacking;
import dev.qvgen.quantizer.qat.ClippedDynamicActQuantizer;
import dev.qvgen.quantizer.qat.LowRankBranch;
import dev.qvgen.quantizer.qat.LsqPlusWeightQuantizer;
import dev.qvgen.quantizer.qat.QatLayers;
import dev.qvgen.quantizer.qat.RankDecay;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The quantizer's hot paths on the CPU, one thread, at one full-size Wan2.1-1.3B layer
 * (1536 x 1536; the feed-forward's 1536 x 8960 for packing) and 256 tokens: fake quantization
 * of a weight (RTN per channel, LSQ+) and of activations (RTN per token, QVGen's clipped per
 * token), a QVGen QAT linear forward (LSQ+ weight, clipped activations, Φ of rank 32) with and
 * without its backward pass (gradients for everything QVGen trains), and 4/3-bit packing and unpacking of integer codes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Threads(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
    "-Dai.djl.pytorch.num_interop_threads=1", "-DOPT_OUT_TRACKING=true"})
public class QuantizerBenchmark {
    static final int DIM = 1536;
    static final int FFN = 8960;
    static final int TOKENS = 256;

    /** A 1536 x 1536 layer, its QAT copy, a token batch and timesteps. */
    @State(Scope.Benchmark)
    public static class Layer {
        NDManager manager;
        NDArray weight;
        NDArray x;
        NDArray t;
        LsqPlusWeightQuantizer lsq;
        ClippedDynamicActQuantizer clipped;
        OneLayer qat;

        @Setup(Level.Trial)
        public void make() {
            manager = NDManager.newBaseManager();
            Engine.getInstance().setRandomSeed(1);
            weight = manager.randomNormal(new Shape(DIM, DIM)).mul(0.02f);
            x = manager.randomNormal(new Shape(TOKENS, DIM));
            t = manager.create(new float[] {500f});
            lsq = LsqPlusWeightQuantizer.initialise(weight, 4, manager);
            clipped = ClippedDynamicActQuantizer.initialise(4, ClippedDynamicActQuantizer.DEFAULT_GROUPS, manager);
            qat = new OneLayer(manager, weight);
            QatLayers layers = QatLayers.install(qat, new QuantSpec(4, 4), p -> true,
                    new QatLayers.Options(LowRankBranch.DEFAULT_RANK, 0, ClippedDynamicActQuantizer.DEFAULT_GROUPS),
                    manager);
            // Φ's coefficients at step 0 of a rank-decay schedule, as QatTrainer sets them before a step
            layers.decayTo(new RankDecay(1000, true), 0);
            // everything QVGen trains records gradients: weight, bias, LSQ+ s and z, clip logits, Φ
            layers.setRequiresGradient(layers.groups(qat, QatLayers.LearningRates.official()), true);
        }

        @TearDown(Level.Trial)
        public void close() {
            manager.close();
        }
    }

    /** Integer codes of a 1536 x 8960 layer and their packed bytes. */
    @State(Scope.Benchmark)
    public static class Codes {
        @Param({"3", "4"})
        int bits;

        int[] codes;
        byte[] packed;

        @Setup(Level.Trial)
        public void make() {
            SplittableRandom r = new SplittableRandom(2);
            codes = new int[DIM * FFN];
            for (int i = 0; i < codes.length; i++) {
                codes[i] = r.nextInt(1 << bits);
            }
            packed = BitPacking.pack(codes, DIM, FFN, bits);
        }
    }

    /** One linear layer under "blocks.0", the path QVGen's layer selection takes. */
    static final class OneLayer extends Module {
        final Linear linear;

        OneLayer(NDManager m, NDArray w) {
            ModuleList<Linear> blocks = child("blocks", new ModuleList<>());
            linear = blocks.add(new Linear(DIM, DIM, true));
            linear.getParameters().get("weight").setArray(w.duplicate());
            linear.getParameters().get("bias").setArray(m.zeros(new Shape(DIM)));
        }
    }

    @Benchmark
    public float fakeQuantWeightRtn(Layer s) {
        try (NDScope scope = new NDScope()) {
            return UniformQuantizer.weightPerChannel(s.weight, 4).getFloat(0, 0);
        }
    }

    @Benchmark
    public float fakeQuantWeightLsqPlus(Layer s) {
        try (NDScope scope = new NDScope()) {
            return s.lsq.forward(s.weight).getFloat(0, 0);
        }
    }

    @Benchmark
    public float fakeQuantActivationRtn(Layer s) {
        try (NDScope scope = new NDScope()) {
            return UniformQuantizer.activationPerToken(s.x, 4).getFloat(0, 0);
        }
    }

    @Benchmark
    public float fakeQuantActivationClipped(Layer s) {
        try (NDScope scope = new NDScope()) {
            return s.clipped.forward(s.x, s.t).getFloat(0, 0);
        }
    }

    @Benchmark
    public float qatLinearForward(Layer s) {
        try (NDScope scope = new NDScope(); ForwardContext.Scope ctx = ForwardContext.timesteps(s.t)) {
            return s.qat.linear.forward(s.x).getFloat(0, 0);
        }
    }

    @Benchmark
    public float qatLinearForwardBackward(Layer s) {
        try (NDScope scope = new NDScope(); ForwardContext.Scope ctx = ForwardContext.timesteps(s.t);
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray y = s.qat.linear.forward(s.x);
            NDArray loss = y.square().mean();
            gc.backward(loss);
            return loss.getFloat();
        }
    }

    @Benchmark
    public byte[] pack(Codes c) {
        return BitPacking.pack(c.codes, DIM, FFN, c.bits);
    }

    @Benchmark
    public int[] unpack(Codes c) {
        return BitPacking.unpack(c.packed, DIM, FFN, c.bits);
    }
}

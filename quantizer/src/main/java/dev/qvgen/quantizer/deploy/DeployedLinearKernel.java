package dev.qvgen.quantizer.deploy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.ForwardContext;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.LinearKernel;
import dev.qvgen.quantizer.ActivationQuantizer;
import dev.qvgen.quantizer.DynamicActQuantizer;
import dev.qvgen.quantizer.qat.ClippedDynamicActQuantizer;

/**
 * Runs a {@link PackedLinear}: the weight is dequantized once when the kernel is built (the
 * simulated integer GEMM is a float GEMM over exactly representable values), the input is
 * smoothed and quantized on every call, and the low-rank branch, if any, adds its product.
 */
public final class DeployedLinearKernel implements LinearKernel, AutoCloseable {
    private final PackedLinear packed;
    private final NDManager manager;
    private final NDArray weight;
    private final ActivationQuantizer act;
    private final NDArray smooth;
    private final NDArray down;
    private final NDArray up;

    public DeployedLinearKernel(PackedLinear p, NDManager parent) {
        this.packed = p;
        this.manager = parent.newSubManager();
        int[] codes = p.codes();
        float[] q = new float[codes.length];
        for (int i = 0; i < q.length; i++) {
            q[i] = codes[i];
        }
        NDArray s = manager.create(p.scale(), new Shape(p.out(), 1));
        NDArray z = manager.create(p.zero(), new Shape(p.out(), 1));
        // Same operations, in the same order, as the fake quantizers: (q - z) * s.
        this.weight = manager.create(q, new Shape(p.out(), p.in())).sub(z).mul(s);
        this.act = activation(p.activation(), manager);
        this.smooth = p.smooth() == null ? null : manager.create(p.smooth(), new Shape(p.in()));
        this.down = p.lowRankDown() == null ? null : manager.create(p.lowRankDown(), new Shape(p.rank(), p.in()));
        this.up = p.lowRankUp() == null ? null : manager.create(p.lowRankUp(), new Shape(p.out(), p.rank()));
    }

    private static ActivationQuantizer activation(PackedLinear.ActivationSpec a, NDManager m) {
        return switch (a.kind()) {
            case "dynamic" -> new DynamicActQuantizer(a.bits());
            case "clipped" -> new ClippedDynamicActQuantizer(a.bits(),
                    m.create(a.lowerLogits(), new Shape(a.lowerLogits().length)),
                    m.create(a.upperLogits(), new Shape(a.upperLogits().length)), a.groupRule());
            default -> throw new IllegalArgumentException("unknown activation quantizer '" + a.kind() + "'");
        };
    }

    @Override
    public NDArray apply(Linear layer, NDArray x) {
        NDArray xs = smooth == null ? x : x.div(smooth);
        NDArray y = layer.dense(act.quantize(xs, ForwardContext.currentTimesteps()), weight);
        if (down != null) {
            y = y.add(xs.matMul(down.transpose()).matMul(up.transpose()));
        }
        return y;
    }

    public PackedLinear packed() {
        return packed;
    }

    /**
     * Restarts the official call countdown of a {@code call-countdown} clipped activation
     * quantizer (what the official scripts do before each pipeline call); no-op otherwise.
     */
    public void restartCountdown() {
        if (act instanceof ClippedDynamicActQuantizer c) {
            c.restartCountdown();
        }
    }

    public NDArray dequantizedWeight() {
        return weight;
    }

    @Override
    public void close() {
        manager.close();
    }
}

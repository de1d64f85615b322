package dev.qvgen.layers.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * torch.nn.RMSNorm over the last axis with an elementwise scale; PyTorch's fused kernel when
 * {@link ScriptedOp#RMS_NORM} is available, which for half inputs also accumulates in float32.
 */
public final class RmsNorm extends Module {
    /** eps as CPU scalar tensors for the scripted op, made once: reading one costs no device sync. */
    private static final NDManager CONSTANTS = NDManager.newBaseManager(Device.cpu());
    private static final Map<Float, NDArray> EPS = new ConcurrentHashMap<>();

    private final float eps;
    private final Parameter weight;

    public RmsNorm(int dim, float eps) {
        this.eps = eps;
        this.weight = param("weight", new Shape(dim));
    }

    public NDArray forward(NDArray x) {
        NDArray w = weight.getArray();
        if (!ScriptedOp.RMS_NORM.available()) {
            return forwardOps(x, w, eps);
        }
        NDArray e = EPS.computeIfAbsent(eps, v -> {
            NDArray c = CONSTANTS.create(v.floatValue());
            // made inside a caller's NDScope, it would be closed when that scope ends
            NDScope.unregister(c);
            return c;
        });
        if (w.getDataType() != x.getDataType()) {
            try (NDArray typed = Precision.like(w, x)) {
                return ScriptedOp.RMS_NORM.apply(x, typed, e);
            }
        }
        return ScriptedOp.RMS_NORM.apply(x, w, e);
    }

    /** The norm spelled with DJL ops: the fallback, and the formula the fused kernel computes. */
    public static NDArray forwardOps(NDArray x, NDArray weight, float eps) {
        NDArray rms = Scalars.add(x.square().mean(new int[] {-1}, true), eps).sqrt();
        return x.div(rms).mul(weight);
    }
}

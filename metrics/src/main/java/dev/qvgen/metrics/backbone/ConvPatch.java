package dev.qvgen.metrics.backbone;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;

/** A stride-p, kernel-p Conv2d over 3 channels (weight (D, 3, p, p)). */
public final class ConvPatch extends Module {
    private final int patch;
    private final int dim;
    private final Parameter weight;
    private final Parameter bias;

    public ConvPatch(int patch, int dim, boolean withBias) {
        this.patch = patch;
        this.dim = dim;
        weight = param("weight", new Shape(dim, 3, patch, patch));
        bias = withBias ? param("bias", new Shape(dim)) : null;
    }

    private volatile NDArray flat;

    /** The (D, 3*p*p) view of the kernel, made once (a view per call would pile up in the model's manager). */
    private NDArray flatWeight() {
        NDArray f = flat;
        if (f == null) {
            synchronized (this) {
                if (flat == null) {
                    NDArray view = weight.getArray().reshape(dim, 3L * patch * patch);
                    // made during some forward: an enclosing NDScope must not close it with that call's temporaries
                    NDScope.unregister(view);
                    flat = view;
                }
                f = flat;
            }
        }
        return f;
    }

    /** (B, 3, H, W) -> (B, (H/p)*(W/p), D). */
    public NDArray forward(NDArray x) {
        NDArray patches = MultiHead.patchify(x, patch);
        NDArray w = flatWeight();
        NDArray b = bias == null ? null : bias.getArray();
        return Linear.product(patches, w, b);
    }
}

package dev.qvgen.layers.nn;

import ai.djl.ndarray.NDArray;

/** diffusers FeedForward with "gelu-approximate": net.0.proj -> GELU(tanh) -> net.2. */
public final class FeedForward extends Module {
    private final Linear proj;
    private final Linear out;

    public FeedForward(int dim, int innerDim) {
        Net net = child("net", new Net(dim, innerDim));
        this.proj = net.gelu.proj;
        this.out = net.out;
    }

    public NDArray forward(NDArray x) {
        NDArray pre = proj.forward(x);
        NDArray h = Activations.geluTanh(pre);
        // eager PyTorch frees the pre-activation here; it is a block's largest tensor (4x or more
        // the width), and DJL would hold it until the enclosing scope closes
        pre.close();
        return out.forward(h);
    }

    /** Index 1 of the reference ModuleList is a parameter-free dropout, so only 0 and 2 exist. */
    private static final class Net extends Module {
        private final GeluProj gelu;
        private final Linear out;

        Net(int dim, int inner) {
            gelu = child("0", new GeluProj(dim, inner));
            out = child("2", new Linear(inner, dim, true));
        }
    }

    private static final class GeluProj extends Module {
        private final Linear proj;

        GeluProj(int dim, int inner) {
            proj = child("proj", new Linear(dim, inner, true));
        }
    }
}

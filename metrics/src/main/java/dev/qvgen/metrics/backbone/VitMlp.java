package dev.qvgen.metrics.backbone;

import ai.djl.ndarray.NDArray;

import dev.qvgen.layers.nn.Activations;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;

/** timm's ViT Mlp as DINO, MUSIQ and UMT use it: fc1, exact GELU, fc2 (published names fc1/fc2). */
public final class VitMlp extends Module {
    private final Linear fc1;
    private final Linear fc2;

    public VitMlp(int dim, int hidden) {
        fc1 = child("fc1", new Linear(dim, hidden, true));
        fc2 = child("fc2", new Linear(hidden, dim, true));
    }

    public NDArray forward(NDArray x) {
        return fc2.forward(Activations.gelu(fc1.forward(x)));
    }
}

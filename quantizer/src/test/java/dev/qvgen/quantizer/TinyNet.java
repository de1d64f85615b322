package dev.qvgen.quantizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.layers.io.WeightLoader;
import dev.qvgen.layers.nn.Activations;
import dev.qvgen.layers.nn.ForwardContext;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.ModuleList;

import java.util.SplittableRandom;

/** A two-layer MLP block under "blocks.0" and a full-precision head, with seeded weights. */
public final class TinyNet extends Module {
    public final Linear fc1;
    public final Linear fc2;
    public final Linear head;

    public TinyNet(NDManager m, long seed) {
        ModuleList<Block> blocks = child("blocks", new ModuleList<>());
        Block b = blocks.add(new Block());
        fc1 = b.fc1;
        fc2 = b.fc2;
        head = child("head", new Linear(8, 4, true));
        SplittableRandom rng = new SplittableRandom(seed);
        WeightLoader.declaredShapes(this).forEach((k, shape) -> {
            float[] v = new float[(int) shape.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (rng.nextDouble() * 2 - 1) * 0.5f;
            }
            // engine-owned, as the model loaders make parameters (see EngineOwned)
            namedParameters().get(k).setArray(dev.qvgen.layers.nn.EngineOwned.adopt(m.create(v, shape)));
        });
    }

    /** @param t (B) timesteps published to timestep-aware quantizers */
    public NDArray forward(NDArray x, NDArray t) {
        try (ForwardContext.Scope s = ForwardContext.timesteps(t)) {
            return head.forward(fc2.forward(Activations.gelu(fc1.forward(x))).add(x));
        }
    }

    public static final class Block extends Module {
        final Linear fc1 = child("fc1", new Linear(8, 16, true));
        final Linear fc2 = child("fc2", new Linear(16, 8, true));
    }
}

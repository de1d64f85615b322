package dev.qvgen.models.wan;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;

import dev.qvgen.layers.nn.Activations;
import dev.qvgen.layers.nn.Linear;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.nn.Precision;
import dev.qvgen.layers.nn.TimestepEmbedding;

/** Wan's condition_embedder: sinusoidal time -> MLP (temb) -> 6-way modulation; text projection. */
public final class WanConditionEmbedder extends Module {
    private final int freqDim;
    private final Mlp timeEmbedder;
    private final Linear timeProj;
    private final Mlp textEmbedder;

    public WanConditionEmbedder(WanConfig c) {
        int dim = c.innerDim();
        freqDim = c.freqDim();
        timeEmbedder = child("time_embedder", new Mlp(freqDim, dim));
        timeProj = child("time_proj", new Linear(dim, dim * 6, true));
        textEmbedder = child("text_embedder", new Mlp(c.textDim(), dim));
    }

    /** @return temb (B, dim), timestep projection (B, 6*dim), embedded text (B, S, dim) */
    public NDList forward(NDArray timestep, NDArray text) {
        NDArray sinusoid = TimestepEmbedding.sinusoidal(timestep, freqDim, true, 0f);
        // diffusers runs the time embedder in its own weights' type (float32: it is kept so in half
        // runs) and casts temb to the activations' type; float16-stored weights with float32
        // compute keep float32 throughout.
        NDArray w = timeEmbedder.linear1.weight();
        sinusoid = Precision.like(sinusoid, w.getDataType() == DataType.FLOAT32 ? w : text);
        NDArray temb = Precision.like(timeEmbedder.forward(sinusoid, false), text);
        NDArray proj = timeProj.forward(Activations.silu(temb));
        NDArray context = textEmbedder.forward(text, true);
        return new NDList(temb, proj, context);
    }

    /** linear_1 -> act -> linear_2: SiLU for the time MLP, GELU(tanh) for PixArt's text projection. */
    private static final class Mlp extends Module {
        private final Linear linear1;
        private final Linear linear2;

        Mlp(int in, int dim) {
            linear1 = child("linear_1", new Linear(in, dim, true));
            linear2 = child("linear_2", new Linear(dim, dim, true));
        }

        NDArray forward(NDArray x, boolean geluTanh) {
            NDArray h = linear1.forward(x);
            h = geluTanh ? Activations.geluTanh(h) : Activations.silu(h);
            return linear2.forward(h);
        }
    }
}

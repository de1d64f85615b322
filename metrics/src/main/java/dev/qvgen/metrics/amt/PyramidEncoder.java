package dev.qvgen.metrics.amt;

import ai.djl.ndarray.NDArray;
import dev.qvgen.metrics.amt.Layers.ConvRelu;
import dev.qvgen.metrics.amt.Layers.Seq;
import dev.qvgen.layers.nn.Module;

/** ifrnet.py Encoder: four stride-2 stages (pyramid1..4) giving features at 1/2, 1/4, 1/8, 1/16. */
final class PyramidEncoder extends Module {
    private final ConvRelu[][] stages;

    PyramidEncoder(int[] channels) {
        stages = new ConvRelu[channels.length][];
        int prev = 3;
        for (int i = 0; i < channels.length; i++) {
            Seq seq = child("pyramid" + (i + 1), new Seq());
            stages[i] = new ConvRelu[] {
                seq.put(0, new ConvRelu(prev, channels[i], 3, 2, 1)),
                seq.put(1, ConvRelu.same3(channels[i], channels[i]))
            };
            prev = channels[i];
        }
    }

    NDArray[] forward(NDArray x) {
        NDArray[] out = new NDArray[stages.length];
        for (int i = 0; i < stages.length; i++) {
            NDArray in = x;
            ConvRelu[] stage = stages[i];
            x = Layers.scoped(() -> stage[1].forward(stage[0].forward(in)));
            out[i] = x;
        }
        return out;
    }
}

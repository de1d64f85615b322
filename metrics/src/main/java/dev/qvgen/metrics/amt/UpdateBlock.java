package dev.qvgen.metrics.amt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import dev.qvgen.metrics.ops.Conv;
import dev.qvgen.metrics.amt.Layers.Seq;
import dev.qvgen.layers.nn.Module;

/**
 * raft.py SmallUpdateBlock as AMT uses it: from correlation features, the current bidirectional
 * flow and the decoder's features, a residual update of both. Blocks working on a finer level
 * than the correlation volume ({@code scaleFactor} 2 or 4) run at 1/8 resolution and upsample
 * their output.
 */
final class UpdateBlock extends Module {
    private final Conv convc1;
    private final Conv convf1;
    private final Conv convf2;
    private final Conv conv;
    private final Conv gru0;
    private final Conv gru2;
    private final Conv feat0;
    private final Conv feat2;
    private final Conv flow0;
    private final Conv flow2;
    private final int scaleFactor;

    /** @param scaleFactor 1 for none (the reference's None) */
    UpdateBlock(int cdim, int hiddenDim, int flowDim, int corrDim, int fcDim, int corrLevels, int radius,
            int scaleFactor) {
        int corPlanes = corrLevels * (2 * radius + 1) * (2 * radius + 1);
        this.scaleFactor = scaleFactor;
        convc1 = child("convc1", new Conv(2 * corPlanes, corrDim, 1, 1, 0));
        convf1 = child("convf1", new Conv(4, flowDim * 2, 7, 1, 3));
        convf2 = child("convf2", Conv.same3(flowDim * 2, flowDim));
        conv = child("conv", Conv.same3(corrDim + flowDim, fcDim));
        Seq gru = child("gru", new Seq());
        gru0 = gru.put(0, Conv.same3(fcDim + 4 + cdim, hiddenDim));
        gru2 = gru.put(2, Conv.same3(hiddenDim, hiddenDim));
        Seq featHead = child("feat_head", new Seq());
        feat0 = featHead.put(0, Conv.same3(hiddenDim, hiddenDim));
        feat2 = featHead.put(2, Conv.same3(hiddenDim, cdim));
        Seq flowHead = child("flow_head", new Seq());
        flow0 = flowHead.put(0, Conv.same3(hiddenDim, hiddenDim));
        flow2 = flowHead.put(2, Conv.same3(hiddenDim, 4));
    }

    /** Returns {delta_net, delta_flow}. */
    NDArray[] forward(NDArray net, NDArray flow, NDArray corr) {
        return Layers.scopedAll(() -> update(net, flow, corr));
    }

    private NDArray[] update(NDArray net, NDArray flow, NDArray corr) {
        if (scaleFactor != 1) {
            net = Sampling.resize(net, 1.0 / scaleFactor);
        }
        NDArray cor = Layers.leakyRelu(convc1.forward(corr));
        NDArray flo = Layers.leakyRelu(convf1.forward(flow));
        flo = Layers.leakyRelu(convf2.forward(flo));
        NDArray inp = Layers.leakyRelu(conv.forward(cor.concat(flo, 1)));
        inp = NDArrays.concat(new NDList(inp, flow, net), 1);
        NDArray out = gru2.forward(Layers.leakyRelu(gru0.forward(inp)));
        NDArray deltaNet = feat2.forward(Layers.leakyRelu(feat0.forward(out)));
        NDArray deltaFlow = flow2.forward(Layers.leakyRelu(flow0.forward(out)));
        if (scaleFactor != 1) {
            deltaNet = Sampling.resize(deltaNet, scaleFactor);
            deltaFlow = Sampling.resize(deltaFlow, scaleFactor).mul((float) scaleFactor);
        }
        return new NDArray[] {deltaNet, deltaFlow};
    }
}

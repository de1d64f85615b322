package dev.qvgen.metrics.amt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import dev.qvgen.metrics.ops.Conv;
import dev.qvgen.metrics.amt.Layers.ConvRelu;
import dev.qvgen.metrics.amt.Layers.ConvTranspose;
import dev.qvgen.metrics.amt.Layers.PRelu;
import dev.qvgen.metrics.amt.Layers.Seq;
import dev.qvgen.layers.nn.Module;

/**
 * AMT-S's coarse-to-fine decoders (ifrnet.py InitDecoder, IntermediateDecoder; multi_flow.py
 * MultiFlowDecoder). Each is {@code convblock = Sequential(convrelu, ResBlock, ConvTranspose2d)}
 * and doubles the resolution of the bidirectional flows (t->0, t->1) and of the features.
 */
final class Decoders {
    private Decoders() {}

    /** The three parts of a convblock, named 0, 1, 2 as in the state dict. */
    private static final class ConvBlock {
        final ConvRelu head;
        final ResBlock res;
        final ConvTranspose up;

        ConvBlock(Seq seq, int in, int mid, int skip, int out) {
            head = seq.put(0, ConvRelu.same3(in, mid));
            res = seq.put(1, new ResBlock(mid, skip));
            up = seq.put(2, new ConvTranspose(mid, out));
        }

        NDArray forward(NDArray x) {
            return Layers.scoped(() -> up.forward(res.forward(head.forward(x))));
        }
    }

    /** Returned flows and features; mask and residual image only from the last decoder. */
    record Out(NDArray flow0, NDArray flow1, NDArray features, NDArray mask, NDArray imgRes) {}

    /** The 1/16 -> 1/8 decoder: from both frames' coarsest features and the time step. */
    static final class Init extends Module {
        private final ConvBlock block;

        Init(int inCh, int outCh, int skipCh) {
            Seq seq = child("convblock", new Seq());
            block = new ConvBlock(seq, inCh * 2 + 1, inCh * 2, skipCh, outCh + 4);
        }

        Out forward(NDArray f0, NDArray f1, float embt) {
            NDArray[] r = Layers.scopedAll(() -> {
                Shape s = f0.getShape();
                NDArray t = f0.getManager().full(new Shape(s.get(0), 1, s.get(2), s.get(3)), embt);
                NDArray out = block.forward(NDArrays.concat(new NDList(f0, f1, t), 1));
                return new NDArray[] {out.get(":, 0:2"), out.get(":, 2:4"), out.get(":, 4:")};
            });
            return new Out(r[0], r[1], r[2], null, null);
        }
    }

    /** A middle decoder: warps both frames' features to t with the current flows first. */
    static final class Intermediate extends Module {
        private final ConvBlock block;

        Intermediate(int inCh, int outCh, int skipCh) {
            Seq seq = child("convblock", new Seq());
            block = new ConvBlock(seq, inCh * 3 + 4, inCh * 3, skipCh, outCh + 4);
        }

        Out forward(NDArray ft, NDArray f0, NDArray f1, NDArray flow0, NDArray flow1) {
            NDArray[] r = Layers.scopedAll(() -> {
                NDArray f0w = Sampling.warp(f0, flow0);
                NDArray f1w = Sampling.warp(f1, flow1);
                NDArray out = block.forward(NDArrays.concat(new NDList(ft, f0w, f1w, flow0, flow1), 1));
                NDArray up0 = out.get(":, 0:2").add(Sampling.resize(flow0, 2.0).mul(2f));
                NDArray up1 = out.get(":, 2:4").add(Sampling.resize(flow1, 2.0).mul(2f));
                return new NDArray[] {up0, up1, out.get(":, 4:")};
            });
            return new Out(r[0], r[1], r[2], null, null);
        }
    }

    /** The last decoder: {@code numFlows} flow pairs, their blending masks and residual images. */
    static final class MultiFlow extends Module {
        private final ConvBlock block;
        private final int numFlows;

        MultiFlow(int inCh, int skipCh, int numFlows) {
            this.numFlows = numFlows;
            Seq seq = child("convblock", new Seq());
            block = new ConvBlock(seq, inCh * 3 + 4, inCh * 3, skipCh, 8 * numFlows);
        }

        Out forward(NDArray ft, NDArray f0, NDArray f1, NDArray flow0, NDArray flow1) {
            NDArray[] r = Layers.scopedAll(() -> decode(ft, f0, f1, flow0, flow1));
            return new Out(r[0], r[1], null, r[2], r[3]);
        }

        private NDArray[] decode(NDArray ft, NDArray f0, NDArray f1, NDArray flow0, NDArray flow1) {
            int n = numFlows;
            NDArray f0w = Sampling.warp(f0, flow0);
            NDArray f1w = Sampling.warp(f1, flow1);
            NDArray out = block.forward(NDArrays.concat(new NDList(ft, f0w, f1w, flow0, flow1), 1));
            NDArray delta0 = out.get(":, 0:" + 2 * n);
            NDArray delta1 = out.get(":, " + 2 * n + ":" + 4 * n);
            NDArray mask = out.get(":, " + 4 * n + ":" + 5 * n);
            NDArray imgRes = out.get(":, " + 5 * n + ":" + 8 * n);
            mask = ai.djl.nn.Activation.sigmoid(mask);
            NDArray up0 = delta0.add(repeatChannels(Sampling.resize(flow0, 2.0).mul(2f), n));
            NDArray up1 = delta1.add(repeatChannels(Sampling.resize(flow1, 2.0).mul(2f), n));
            return new NDArray[] {up0, up1, mask, imgRes};
        }

        /** {@code x.repeat(1, n, 1, 1)}: the channels n times over. */
        private static NDArray repeatChannels(NDArray x, int n) {
            NDList copies = new NDList();
            for (int i = 0; i < n; i++) {
                copies.add(x);
            }
            return NDArrays.concat(copies, 1);
        }
    }

    /**
     * ifrnet.py ResBlock: 3x3 convolutions where the last {@code side} channels get an extra
     * convolution of their own between the full ones, and a PReLU on the residual sum.
     */
    static final class ResBlock extends Module {
        private final ConvRelu conv1;
        private final ConvRelu conv2;
        private final ConvRelu conv3;
        private final ConvRelu conv4;
        private final Conv conv5;
        private final PRelu prelu;
        private final int channels;
        private final int side;

        ResBlock(int channels, int side) {
            this.channels = channels;
            this.side = side;
            conv1 = child("conv1", ConvRelu.same3(channels, channels));
            conv2 = child("conv2", ConvRelu.same3(side, side));
            conv3 = child("conv3", ConvRelu.same3(channels, channels));
            conv4 = child("conv4", ConvRelu.same3(side, side));
            conv5 = child("conv5", Conv.same3(channels, channels));
            prelu = child("prelu", new PRelu(channels));
        }

        NDArray forward(NDArray x) {
            return Layers.scoped(() -> residual(x));
        }

        private NDArray residual(NDArray x) {
            NDArray out = conv3.forward(sideConv(conv1.forward(x), conv2));
            out = conv5.forward(sideConv(out, conv4));
            return prelu.forward(x.add(out));
        }

        private NDArray sideConv(NDArray x, ConvRelu conv) {
            int split = channels - side;
            NDArray res = x.get(":, 0:" + split);
            NDArray sideFeat = conv.forward(x.get(":, " + split + ":"));
            return res.concat(sideFeat, 1);
        }
    }
}

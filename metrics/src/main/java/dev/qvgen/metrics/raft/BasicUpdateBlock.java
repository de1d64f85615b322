package dev.qvgen.metrics.raft;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.qvgen.metrics.ops.Conv;
import dev.qvgen.layers.nn.Module;

/**
 * RAFT's BasicUpdateBlock (update.py): the motion encoder turns correlation features and the
 * current flow into motion features, a separable ConvGRU updates the hidden state, and two heads
 * predict the flow increment and the (0.25-scaled) convex upsampling mask.
 */
final class BasicUpdateBlock extends Module {
    static final int HIDDEN = 128;
    static final int MASK_CHANNELS = 64 * 9;

    private final MotionEncoder encoder;
    private final SepConvGru gru;
    private final FlowHead flowHead;
    private final Conv mask0;
    private final Conv mask2;

    BasicUpdateBlock(int corrPlanes) {
        encoder = child("encoder", new MotionEncoder(corrPlanes));
        gru = child("gru", new SepConvGru(HIDDEN, 128 + HIDDEN));
        flowHead = child("flow_head", new FlowHead(HIDDEN, 256));
        Sequence mask = child("mask", new Sequence());
        mask0 = mask.put(0, Conv.square(128, 256, 3, 1));
        mask2 = mask.put(2, new Conv(256, MASK_CHANNELS, 1, 1, 1, 0, 0));
    }

    /**
     * Returns {new hidden state, upsampling mask (null unless {@code withMask}), delta flow}. The
     * mask feeds nothing but the upsampling, so test mode computes it on the last step only.
     */
    NDArray[] forward(NDArray net, NDArray inp, NDArray corr, NDArray flow, boolean withMask) {
        NDArray motion = encoder.forward(flow, corr);
        NDArray x = inp.concat(motion, 1);
        NDArray h = gru.forward(net, x);
        NDArray delta = flowHead.forward(h);
        NDArray mask = withMask ? mask2.forward(Activation.relu(mask0.forward(h))).mul(0.25f) : null;
        return new NDArray[] {h, mask, delta};
    }

    /** BasicMotionEncoder: 126 motion channels followed by the 2 flow channels themselves. */
    static final class MotionEncoder extends Module {
        private final Conv convc1;
        private final Conv convc2;
        private final Conv convf1;
        private final Conv convf2;
        private final Conv conv;

        MotionEncoder(int corrPlanes) {
            convc1 = child("convc1", new Conv(corrPlanes, 256, 1, 1, 1, 0, 0));
            convc2 = child("convc2", Conv.square(256, 192, 3, 1));
            convf1 = child("convf1", Conv.square(2, 128, 7, 1));
            convf2 = child("convf2", Conv.square(128, 64, 3, 1));
            conv = child("conv", Conv.square(64 + 192, 128 - 2, 3, 1));
        }

        NDArray forward(NDArray flow, NDArray corr) {
            NDArray cor = Activation.relu(convc1.forward(corr));
            cor = Activation.relu(convc2.forward(cor));
            NDArray flo = Activation.relu(convf1.forward(flow));
            flo = Activation.relu(convf2.forward(flo));
            NDArray out = Activation.relu(conv.forward(cor.concat(flo, 1)));
            return out.concat(flow, 1);
        }
    }

    /** SepConvGRU: a GRU step with 1x5 convolutions, then one with 5x1 convolutions. */
    static final class SepConvGru extends Module {
        private final Conv convz1;
        private final Conv convr1;
        private final Conv convq1;
        private final Conv convz2;
        private final Conv convr2;
        private final Conv convq2;

        SepConvGru(int hidden, int input) {
            int in = hidden + input;
            convz1 = child("convz1", new Conv(in, hidden, 1, 5, 1, 0, 2));
            convr1 = child("convr1", new Conv(in, hidden, 1, 5, 1, 0, 2));
            convq1 = child("convq1", new Conv(in, hidden, 1, 5, 1, 0, 2));
            convz2 = child("convz2", new Conv(in, hidden, 5, 1, 1, 2, 0));
            convr2 = child("convr2", new Conv(in, hidden, 5, 1, 1, 2, 0));
            convq2 = child("convq2", new Conv(in, hidden, 5, 1, 1, 2, 0));
        }

        NDArray forward(NDArray h, NDArray x) {
            h = step(h, x, convz1, convr1, convq1);
            return step(h, x, convz2, convr2, convq2);
        }

        /** h' = (1 - z) h + z q with z, r gates and candidate q = tanh(conv([r h, x])). */
        private static NDArray step(NDArray h, NDArray x, Conv convz, Conv convr, Conv convq) {
            NDArray hx = h.concat(x, 1);
            NDArray z = Activation.sigmoid(convz.forward(hx));
            NDArray r = Activation.sigmoid(convr.forward(hx));
            NDArray q = convq.forward(r.mul(h).concat(x, 1)).tanh();
            return z.neg().add(1f).mul(h).add(z.mul(q));
        }
    }

    /** FlowHead: conv 3x3, ReLU, conv 3x3 to 2 channels. */
    static final class FlowHead extends Module {
        private final Conv conv1;
        private final Conv conv2;

        FlowHead(int input, int hidden) {
            conv1 = child("conv1", Conv.square(input, hidden, 3, 1));
            conv2 = child("conv2", Conv.square(hidden, 2, 3, 1));
        }

        NDArray forward(NDArray x) {
            return conv2.forward(Activation.relu(conv1.forward(x)));
        }
    }
}

package dev.qvgen.metrics.amt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.qvgen.metrics.ops.Correlation;
import java.util.ArrayList;
import java.util.List;

/**
 * AMT's BidirCorrBlock (networks/blocks/raft.py): the all-pairs correlation of the two frames'
 * features, kept both ways round (frame 0 against frame 1 and its transpose), each average-pooled
 * into a pyramid and looked up in a (2r+1)² window around a position per pixel.
 */
final class BidirCorr {
    private final List<NDArray> pyramid = new ArrayList<>();
    private final List<NDArray> pyramidT = new ArrayList<>();
    private final int radius;
    private final int height;
    private final int width;

    /** fmap0, fmap1: (1, C, h, w). */
    BidirCorr(NDArray fmap0, NDArray fmap1, int levels, int radius) {
        Shape s = fmap0.getShape();
        if (s.get(0) != 1) {
            throw new IllegalArgumentException("AMT correlation expects a batch of 1, got " + s);
        }
        this.radius = radius;
        int dim = (int) s.get(1);
        height = (int) s.get(2);
        width = (int) s.get(3);
        int hw = height * width;
        // torch divides by sqrt(torch.tensor(dim).float()), a float32 square root
        NDArray corr = Correlation.allPairs(fmap0.reshape(dim, hw), fmap1.reshape(dim, hw));
        NDArray corrT = corr.transpose().reshape(hw, 1, height, width);
        corr = corr.reshape(hw, 1, height, width);
        pyramid.add(corr);
        pyramidT.add(corrT);
        for (int i = 1; i < levels; i++) {
            corr = Correlation.pool(corr);
            corrT = Correlation.pool(corrT);
            pyramid.add(corr);
            pyramidT.add(corrT);
        }
    }

    /**
     * Looks up frame-0 rows at {@code coords0} and transposed rows at {@code coords1}, both
     * (1, 2, h, w) pixel positions (x, y); returns the two (1, levels*(2r+1)², h, w) features
     * concatenated along channels.
     */
    NDArray lookup(NDArray coords0, NDArray coords1) {
        return Layers.scoped(() -> Correlation.lookup(pyramid, coords0, radius, height, width)
                .concat(Correlation.lookup(pyramidT, coords1, radius, height, width), 1));
    }
}

package dev.qvgen.metrics.raft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.qvgen.metrics.ops.Correlation;
import dev.qvgen.metrics.ops.GridSample;
import java.util.ArrayList;
import java.util.List;

/**
 * RAFT's CorrBlock (corr.py): the all-pairs correlation volume of two feature maps, average-pooled
 * into a 4-level pyramid, looked up in a (2r+1)² window around each pixel's current match.
 *
 * <p>RAFT samples with {@code grid_sample(align_corners=True)} after normalising pixel
 * coordinates by {@code W-1}; {@link #bilinear} does the same gather and weighting with array
 * ops, including that round trip, so that a pyramid level one pixel wide or high yields NaN as
 * PyTorch does (RAFT's coarsest level is 1 pixel when the padded frame side is under 128).
 */
final class CorrBlock {
    static final int LEVELS = 4;
    static final int RADIUS = 4;
    static final int WINDOW = 2 * RADIUS + 1;
    static final int PLANES = LEVELS * WINDOW * WINDOW;

    private final List<NDArray> pyramid = new ArrayList<>();
    private final int height;
    private final int width;

    /** fmap1, fmap2: (1, C, h, w). */
    CorrBlock(NDArray fmap1, NDArray fmap2) {
        Shape s = fmap1.getShape();
        if (s.get(0) != 1) {
            throw new IllegalArgumentException("RAFT correlation expects a batch of 1, got " + s);
        }
        int dim = (int) s.get(1);
        height = (int) s.get(2);
        width = (int) s.get(3);
        int hw = height * width;
        // corr / sqrt(dim): dim is 256, a power of 4, so the divisor is exact as in torch.
        NDArray corr = Correlation.allPairs(fmap1.reshape(dim, hw), fmap2.reshape(dim, hw))
                .reshape(hw, 1, height, width);
        pyramid.add(corr);
        for (int i = 1; i < LEVELS; i++) {
            corr = Correlation.pool(corr);
            pyramid.add(corr);
        }
    }

    /** coords: (1, 2, h, w) pixel positions (x, y) in frame 2; returns (1, 324, h, w). */
    NDArray lookup(NDArray coords) {
        return Correlation.lookup(pyramid, coords, RADIUS, height, width);
    }

    /**
     * grid_sample(img, grid, mode=bilinear, padding_mode=zeros, align_corners=True) for one
     * channel per batch item: img (n, 1, H, W), x/y (n, k) pixel coordinates; returns (n, k).
     */
    static NDArray bilinear(NDArray img, NDArray x, NDArray y) {
        return GridSample.bilinearZeros(img, x, y);
    }
}

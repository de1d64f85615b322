package dev.qvgen.metrics.musiq;

import dev.qvgen.metrics.backbone.TorchResize;

import java.util.ArrayList;
import java.util.List;

/**
 * MUSIQ's multi-scale input (pyiqa/data/multiscale_trans_util.py {@code get_multiscale_patches},
 * after Google's musiq/model/preprocessing.py): the image is resized, aspect ratio kept, so that
 * its longer side is each of the configured lengths (bicubic, {@code align_corners=False}, no
 * antialias; the size is {@code round(side * ratio)}, Python's round half to even), then every
 * scale is cut into non-overlapping patches with TensorFlow "SAME" zero padding. Each patch
 * carries its hashed spatial position, its scale index and an input mask. Each resized scale is
 * padded (mask 0, position 0, scale 0) or cut to {@code ceil(length / stride)^2} patches; the
 * original resolution comes last with all its patches when {@code maxSeqLenFromOriginalRes < 0}
 * (pyiqa's MUSIQ default, -1), padded or cut to that many when it is >= 0, and is left out when
 * it is null.
 */
public final class MusiqPatches {

    /**
     * The patch sequence.
     *
     * @param length  number of patches L
     * @param pixels  (L, 3, p, p) patch pixels, row-major, in unfold's (channel, row, column) order
     * @param spatial hashed spatial position of each patch, in [0, grid^2)
     * @param scale   scale index of each patch
     * @param mask    1 for a real patch, 0 for padding
     */
    public record Sequence(int length, int patchSize, float[] pixels, int[] spatial, int[] scale, int[] mask) {
    }

    private MusiqPatches() {}

    /**
     * The patches of one (3, h, w) image already mapped to MUSIQ's [-1, 1] range.
     *
     * @param longerSides the longer side of each resized scale (sorted here, as pyiqa does)
     */
    public static Sequence extract(float[] chw, int h, int w, int patchSize, int stride, int gridSize,
            List<Integer> longerSides, Integer maxSeqLenFromOriginalRes) {
        if (chw.length != 3 * h * w) {
            throw new IllegalArgumentException("image has " + chw.length + " values, expected 3*" + h + "*" + w);
        }
        List<Integer> sides = new ArrayList<>(longerSides);
        sides.sort(null);
        List<Sequence> parts = new ArrayList<>();
        for (int id = 0; id < sides.size(); id++) {
            int side = sides.get(id);
            double ratio = (double) side / Math.max(h, w);
            int rh = (int) Math.rint(h * ratio);
            int rw = (int) Math.rint(w * ratio);
            float[] resized = TorchResize.bicubic(chw, 3, h, w, rh, rw);
            int maxLen = (int) Math.pow(Math.ceil((double) side / stride), 2);
            parts.add(fit(scale(resized, rh, rw, patchSize, stride, gridSize, id), maxLen));
        }
        if (maxSeqLenFromOriginalRes != null) {
            Sequence orig = scale(chw, h, w, patchSize, stride, gridSize, sides.size());
            parts.add(maxSeqLenFromOriginalRes >= 0 ? fit(orig, maxSeqLenFromOriginalRes) : orig);
        }
        return concat(parts, patchSize);
    }

    /** One scale's patches (pyiqa's {@code _extract_patches_and_positions_from_image}). */
    static Sequence scale(float[] chw, int h, int w, int patchSize, int stride, int gridSize, int scaleId) {
        int countH = (h + stride - 1) / stride;
        int countW = (w + stride - 1) / stride;
        // TF SAME padding as extract_image_patches computes it: the top/left part is the floor half
        int top = ((countH - 1) * stride + patchSize - h) / 2;
        int left = ((countW - 1) * stride + patchSize - w) / 2;
        int n = countH * countW;
        int dim = 3 * patchSize * patchSize;
        float[] pixels = new float[n * dim];
        for (int py = 0; py < countH; py++) {
            for (int px = 0; px < countW; px++) {
                int base = (py * countW + px) * dim;
                for (int c = 0; c < 3; c++) {
                    for (int ky = 0; ky < patchSize; ky++) {
                        int y = py * stride + ky - top;
                        if (y < 0 || y >= h) {
                            continue;
                        }
                        for (int kx = 0; kx < patchSize; kx++) {
                            int x = px * stride + kx - left;
                            if (x >= 0 && x < w) {
                                pixels[base + (c * patchSize + ky) * patchSize + kx] = chw[(c * h + y) * w + x];
                            }
                        }
                    }
                }
            }
        }
        int[] spatial = hashedPositions(gridSize, countH, countW);
        int[] scale = new int[n];
        int[] mask = new int[n];
        java.util.Arrays.fill(scale, scaleId);
        java.util.Arrays.fill(mask, 1);
        return new Sequence(n, patchSize, pixels, spatial, scale, mask);
    }

    /**
     * {@code get_hashed_spatial_pos_emb_index}: a countH x countW patch grid hashed onto the
     * grid x grid embedding table by nearest-neighbour interpolation of 0..grid-1 along each axis,
     * row-major. The nearest index is ATen's: {@code min(floor(i * (float) grid / count), grid - 1)}
     * in float, with the exact shortcuts for equal and doubled sizes.
     */
    public static int[] hashedPositions(int gridSize, int countH, int countW) {
        int[] rows = nearest(gridSize, countH);
        int[] cols = nearest(gridSize, countW);
        int[] out = new int[countH * countW];
        for (int y = 0; y < countH; y++) {
            for (int x = 0; x < countW; x++) {
                out[y * countW + x] = rows[y] * gridSize + cols[x];
            }
        }
        return out;
    }

    private static int[] nearest(int in, int out) {
        int[] idx = new int[out];
        float scale = (float) in / out;
        for (int i = 0; i < out; i++) {
            if (out == in) {
                idx[i] = i;
            } else if (out == 2 * in) {
                idx[i] = i >> 1;
            } else {
                idx[i] = Math.min((int) Math.floor(i * scale), in - 1);
            }
        }
        return idx;
    }

    /** Zero-pads (mask 0) or cuts a sequence to exactly len patches. */
    static Sequence fit(Sequence s, int len) {
        int dim = 3 * s.patchSize() * s.patchSize();
        int keep = Math.min(len, s.length());
        float[] pixels = new float[len * dim];
        System.arraycopy(s.pixels(), 0, pixels, 0, keep * dim);
        int[] spatial = new int[len];
        int[] scale = new int[len];
        int[] mask = new int[len];
        System.arraycopy(s.spatial(), 0, spatial, 0, keep);
        System.arraycopy(s.scale(), 0, scale, 0, keep);
        System.arraycopy(s.mask(), 0, mask, 0, keep);
        return new Sequence(len, s.patchSize(), pixels, spatial, scale, mask);
    }

    private static Sequence concat(List<Sequence> parts, int patchSize) {
        int n = 0;
        for (Sequence s : parts) {
            n += s.length();
        }
        int dim = 3 * patchSize * patchSize;
        float[] pixels = new float[n * dim];
        int[] spatial = new int[n];
        int[] scale = new int[n];
        int[] mask = new int[n];
        int at = 0;
        for (Sequence s : parts) {
            System.arraycopy(s.pixels(), 0, pixels, at * dim, s.length() * dim);
            System.arraycopy(s.spatial(), 0, spatial, at, s.length());
            System.arraycopy(s.scale(), 0, scale, at, s.length());
            System.arraycopy(s.mask(), 0, mask, at, s.length());
            at += s.length();
        }
        return new Sequence(n, patchSize, pixels, spatial, scale, mask);
    }
}

package dev.qvgen.metrics.umt;

/**
 * UMT's fixed sine-cosine position table ({@code get_sinusoid_encoding_table} of VBench's
 * {@code third_party/umt/models/modeling_finetune.py}): made for the pre-training grid of 8
 * frames of 14 x 14 patches in float64, cast to float32, then stretched along time to the
 * clip's frame count by linear interpolation (align_corners=False), as the reference does for
 * its 16-frame classifier. Checkpoints that store a trained {@code pos_embed} use that instead.
 */
public final class UmtPositions {
    /** Frames of the grid the table was made for. */
    public static final int PRE_FRAMES = 8;
    /** Patches per frame of that grid (224 / 16 = 14 a side). */
    public static final int PRE_PATCHES = 14 * 14;

    private UmtPositions() {}

    /**
     * @return (frames * patchesPerFrame, dim) row-major
     * @throws IllegalArgumentException for a frame size other than 14 x 14 patches, which the
     *     reference would resize bicubically (VBench always feeds 224 x 224)
     */
    public static float[] table(int frames, int patchesPerFrame, int dim) {
        if (patchesPerFrame != PRE_PATCHES) {
            throw new IllegalArgumentException("UMT positions are made for 14 x 14 patches a frame, got "
                    + patchesPerFrame + " patches");
        }
        int n = PRE_FRAMES * PRE_PATCHES;
        float[] base = new float[n * dim];
        for (int pos = 0; pos < n; pos++) {
            for (int j = 0; j < dim; j++) {
                // position / 10000^(2 * (j // 2) / d), sin on even columns, cos on odd, in float64
                double angle = pos / Math.pow(10000, 2.0 * (j / 2) / dim);
                base[pos * dim + j] = (float) (j % 2 == 0 ? Math.sin(angle) : Math.cos(angle));
            }
        }
        return frames == PRE_FRAMES ? base : stretchTime(base, PRE_FRAMES, frames, PRE_PATCHES, dim);
    }

    /**
     * F.interpolate(mode="linear", align_corners=False) along time for every (patch, channel):
     * source index max(scale * (t + 0.5) - 0.5, 0) with scale = in / out, in float.
     */
    static float[] stretchTime(float[] table, int in, int out, int patches, int dim) {
        float scale = (float) in / out;
        float[] result = new float[out * patches * dim];
        for (int t = 0; t < out; t++) {
            float src = Math.max(scale * (t + 0.5f) - 0.5f, 0f);
            int i0 = (int) src;
            int i1 = Math.min(i0 + 1, in - 1);
            float l1 = src - i0;
            float l0 = 1f - l1;
            for (int p = 0; p < patches; p++) {
                for (int c = 0; c < dim; c++) {
                    result[(t * patches + p) * dim + c] = l0 * table[(i0 * patches + p) * dim + c]
                            + l1 * table[(i1 * patches + p) * dim + c];
                }
            }
        }
        return result;
    }
}

package dev.qvgen.models.cogvideox;

/**
 * CogVideoX's position tables, computed on the host in the precision the reference uses.
 *
 * <ul>
 *   <li>{@link #sinCos3d}: diffusers' {@code get_3d_sincos_pos_embed} as CogVideoXPatchEmbed uses it
 *       (CogVideoX-2B): positions in float32, frequencies and sin/cos in float64, then float32.
 *   <li>{@link #rotary3d}: the pipeline's {@code _prepare_rotary_positional_embeddings} with
 *       {@code get_3d_rotary_pos_embed} (5B, 1.5-5B): everything in float32 as torch does it.
 * </ul>
 *
 * Tokens are ordered frame-major, then row, then column, as the patch embedding flattens them.
 */
public final class CogVideoXPositions {
    private CogVideoXPositions() {}

    /**
     * @param frames latent frames (the sin-cos table has one temporal position per latent frame)
     * @param gridH patches per column (latent height / patch size)
     * @param gridW patches per row
     * @return (frames * gridH * gridW, dim) row-major: [temporal D/4 | w 3D/8 | h 3D/8]
     */
    public static float[] sinCos3d(int dim, int frames, int gridH, int gridW, double spatialScale,
            double temporalScale) {
        if (dim % 16 != 0) {
            throw new IllegalArgumentException("sin-cos embedding dim " + dim + " must be divisible by 16");
        }
        int dt = dim / 4;
        int ds = 3 * dim / 4;
        // get_2d_sincos_pos_embed_from_grid encodes grid[0] first, which (meshgrid "xy") holds
        // the column coordinate; so the spatial part is [emb(w), emb(h)].
        double[][] embT = sinCos1d(dt, frames, (float) temporalScale);
        double[][] embW = sinCos1d(ds / 2, gridW, (float) spatialScale);
        double[][] embH = sinCos1d(ds / 2, gridH, (float) spatialScale);
        float[] out = new float[frames * gridH * gridW * dim];
        int row = 0;
        for (int t = 0; t < frames; t++) {
            for (int h = 0; h < gridH; h++) {
                for (int w = 0; w < gridW; w++) {
                    int o = row * dim;
                    for (int k = 0; k < dt; k++) {
                        out[o + k] = (float) embT[t][k];
                    }
                    for (int k = 0; k < ds / 2; k++) {
                        out[o + dt + k] = (float) embW[w][k];
                        out[o + dt + ds / 2 + k] = (float) embH[h][k];
                    }
                    row++;
                }
            }
        }
        return out;
    }

    /** get_1d_sincos_pos_embed_from_grid over arange(n)/scale: [sin(pos*omega), cos(pos*omega)]. */
    private static double[][] sinCos1d(int d, int n, float scale) {
        int half = d / 2;
        double[] omega = new double[half];
        for (int k = 0; k < half; k++) {
            omega[k] = 1.0 / Math.pow(10000.0, k / (d / 2.0));
        }
        double[][] out = new double[n][d];
        for (int i = 0; i < n; i++) {
            double pos = (float) i / scale; // torch.arange(float32) / scale stays float32
            for (int k = 0; k < half; k++) {
                out[i][k] = Math.sin(pos * omega[k]);
                out[i][half + k] = Math.cos(pos * omega[k]);
            }
        }
        return out;
    }

    /** The cos and sin tables, each (tokens, headDim) row-major. */
    public record Rotary(float[] cos, float[] sin, int tokens, int headDim) {}

    /**
     * The rotary tables the CogVideoX pipeline builds for latents of the given size.
     *
     * @param latentFrames latent frames as the transformer sees them (padded to a multiple of
     *     patch_size_t for CogVideoX 1.5)
     */
    public static Rotary rotary3d(CogVideoXConfig c, int latentFrames, int latentH, int latentW) {
        int p = c.patchSize();
        int gridH = latentH / p;
        int gridW = latentW / p;
        int baseW = c.sampleWidth() / p;
        int baseH = c.sampleHeight() / p;
        float[] posT;
        float[] posH;
        float[] posW;
        int temporal;
        if (!c.hasTemporalPatch()) {
            // CogVideoX 1.0: "linspace" grid over the crop of the base grid the latent fits into.
            temporal = latentFrames;
            int[] crop = resizeCropRegionForGrid(gridH, gridW, baseW, baseH);
            posH = linspace(crop[0], crop[2] * (gridH - 1) / (double) gridH, gridH);
            posW = linspace(crop[1], crop[3] * (gridW - 1) / (double) gridW, gridW);
            posT = linspace(0, temporal * (temporal - 1) / (double) temporal, temporal);
        } else {
            // CogVideoX 1.5: "slice" grid, integer positions cut from a (baseH, baseW) table.
            temporal = (latentFrames + c.patchSizeT() - 1) / c.patchSizeT();
            if (gridH > baseH || gridW > baseW) {
                throw new IllegalArgumentException("latent grid " + gridH + "x" + gridW
                        + " exceeds the rotary table " + baseH + "x" + baseW + " of the config");
            }
            posT = arange(temporal);
            posH = arange(gridH);
            posW = arange(gridW);
        }
        int d = c.attentionHeadDim();
        int dimT = d / 4;
        int dimH = d / 8 * 3;
        int dimW = d / 8 * 3;
        float[][][] ft = rotary1d(dimT, posT);
        float[][][] fh = rotary1d(dimH, posH);
        float[][][] fw = rotary1d(dimW, posW);
        int tokens = temporal * gridH * gridW;
        float[] cos = new float[tokens * d];
        float[] sin = new float[tokens * d];
        int row = 0;
        for (int t = 0; t < temporal; t++) {
            for (int h = 0; h < gridH; h++) {
                for (int w = 0; w < gridW; w++) {
                    int o = row * d;
                    System.arraycopy(ft[0][t], 0, cos, o, dimT);
                    System.arraycopy(ft[1][t], 0, sin, o, dimT);
                    System.arraycopy(fh[0][h], 0, cos, o + dimT, dimH);
                    System.arraycopy(fh[1][h], 0, sin, o + dimT, dimH);
                    System.arraycopy(fw[0][w], 0, cos, o + dimT + dimH, dimW);
                    System.arraycopy(fw[1][w], 0, sin, o + dimT + dimH, dimW);
                    row++;
                }
            }
        }
        return new Rotary(cos, sin, tokens, d);
    }

    /**
     * get_1d_rotary_pos_embed(use_real=True) in float32: freqs = 1 / theta^(2k/dim), angles =
     * pos * freq, each cos/sin repeated twice (interleaved) to fill dim.
     *
     * @return [cos|sin][position][dim]
     */
    private static float[][][] rotary1d(int dim, float[] pos) {
        int half = dim / 2;
        float[] freq = new float[half];
        for (int k = 0; k < half; k++) {
            float e = (float) (2 * k) / (float) dim;
            freq[k] = 1.0f / (float) Math.pow(10000.0, e);
        }
        float[][][] out = new float[2][pos.length][dim];
        for (int i = 0; i < pos.length; i++) {
            for (int k = 0; k < half; k++) {
                float a = pos[i] * freq[k];
                float cs = (float) Math.cos(a);
                float sn = (float) Math.sin(a);
                out[0][i][2 * k] = cs;
                out[0][i][2 * k + 1] = cs;
                out[1][i][2 * k] = sn;
                out[1][i][2 * k + 1] = sn;
            }
        }
        return out;
    }

    /**
     * The pipeline's get_resize_crop_region_for_grid((gridH, gridW), baseW, baseH): the region of
     * the base grid that a resized latent grid covers, as {top, left, bottom, right}. Python's
     * round() rounds half to even, hence rint.
     */
    static int[] resizeCropRegionForGrid(int h, int w, int tw, int th) {
        double r = (double) h / w;
        int resizeH;
        int resizeW;
        if (r > (double) th / tw) {
            resizeH = th;
            resizeW = (int) Math.rint((double) th / h * w);
        } else {
            resizeW = tw;
            resizeH = (int) Math.rint((double) tw / w * h);
        }
        int top = (int) Math.rint((th - resizeH) / 2.0);
        int left = (int) Math.rint((tw - resizeW) / 2.0);
        return new int[] {top, left, top + resizeH, left + resizeW};
    }

    /** torch.linspace in float32 on the CPU: the first half counts up from start, the rest down from end. */
    static float[] linspace(double start, double end, int steps) {
        float[] out = new float[steps];
        float s = (float) start;
        float e = (float) end;
        if (steps == 1) {
            out[0] = s;
            return out;
        }
        float step = (e - s) / (steps - 1);
        int halfway = steps / 2;
        for (int i = 0; i < steps; i++) {
            out[i] = i < halfway ? s + step * i : e - step * (steps - i - 1);
        }
        return out;
    }

    private static float[] arange(int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = i;
        }
        return out;
    }
}

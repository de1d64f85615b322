package dev.qvgen.metrics.tag2text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;

/**
 * The index bookkeeping of Swin's window attention: cutting a feature map into windows and back,
 * the cyclic shift, the relative-position index and the shifted-window mask. The last two depend
 * only on the configuration, so they are plain Java arrays, computed once per block rather than
 * loaded (the checkpoint's copies are ignored).
 */
final class SwinWindows {
    /** The value the reference fills masked pairs with: large enough to vanish in the softmax, finite. */
    static final float MASKED = -100f;

    private SwinWindows() {}

    /** (B, H, W, C) -> (B * nW, window^2, C), windows in row-major order within each image. */
    static NDArray partition(NDArray x, int window) {
        Shape s = x.getShape();
        long b = s.get(0);
        long h = s.get(1);
        long w = s.get(2);
        long c = s.get(3);
        return x.reshape(b, h / window, window, w / window, window, c).transpose(0, 1, 3, 2, 4, 5)
                .reshape(-1, (long) window * window, c);
    }

    /** The inverse of {@link #partition}: (B * nW, window^2, C) -> (B, H, W, C). */
    static NDArray reverse(NDArray windows, int window, int h, int w) {
        long c = windows.getShape().get(2);
        long b = windows.getShape().get(0) / ((long) (h / window) * (w / window));
        return windows.reshape(b, h / window, w / window, window, window, c).transpose(0, 1, 3, 2, 4, 5)
                .reshape(b, h, w, c);
    }

    /** torch.roll(x, (-shift, -shift), dims=(1, 2)) on (B, H, W, C); a negative shift rolls the other way. */
    static NDArray roll(NDArray x, int shift) {
        return rollAxis(rollAxis(x, 1, shift), 2, shift);
    }

    private static NDArray rollAxis(NDArray x, int axis, int shift) {
        long n = x.getShape().get(axis);
        long k = Math.floorMod(shift, n);
        if (k == 0) {
            return x;
        }
        String head = axis == 1 ? ":, " + k + ":" : ":, :, " + k + ":";
        String tail = axis == 1 ? ":, :" + k : ":, :, :" + k;
        return NDArrays.concat(new NDList(x.get(head), x.get(tail)), axis);
    }

    /**
     * relative_position_index, flattened (window^2 * window^2): for tokens i, j of a window, the
     * row of the bias table holding their offset, {@code (dh + w - 1) * (2w - 1) + (dw + w - 1)}.
     */
    static long[] relativePositionIndex(int window) {
        int n = window * window;
        long[] out = new long[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                int dh = i / window - j / window + window - 1;
                int dw = i % window - j % window + window - 1;
                out[i * n + j] = (long) dh * (2 * window - 1) + dw;
            }
        }
        return out;
    }

    /**
     * The shifted-window attention mask, (nW, window^2, window^2) flattened: after the cyclic shift
     * a window at the bottom or right edge holds pixels from up to three bands per axis that were
     * not neighbours, and attention between different bands is suppressed with {@link #MASKED}.
     * The bands are the reference's slices {@code [0, H-w), [H-w, H-s), [H-s, H)} per axis.
     */
    static float[] shiftMask(int h, int w, int window, int shift) {
        int[] label = new int[h * w];
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
                label[r * w + c] = 3 * band(r, h, window, shift) + band(c, w, window, shift);
            }
        }
        int perRow = w / window;
        int windows = (h / window) * perRow;
        int n = window * window;
        float[] mask = new float[windows * n * n];
        int[] tokens = new int[n];
        for (int win = 0; win < windows; win++) {
            int r0 = win / perRow * window;
            int c0 = win % perRow * window;
            for (int t = 0; t < n; t++) {
                tokens[t] = label[(r0 + t / window) * w + c0 + t % window];
            }
            int base = win * n * n;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    mask[base + i * n + j] = tokens[i] == tokens[j] ? 0f : MASKED;
                }
            }
        }
        return mask;
    }

    private static int band(int p, int size, int window, int shift) {
        return p < size - window ? 0 : p < size - shift ? 1 : 2;
    }
}

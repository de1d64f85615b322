package dev.qvgen.metrics.vbench;

/** VBench's frame sampling, shared by the dimensions that read a fixed number of frames. */
public final class FrameSampling {
    private FrameSampling() {}

    /**
     * VBench's {@code get_frame_indices(num, vlen, sample="middle")}: the edges
     * {@code np.linspace(0, vlen, k + 1).astype(int)} with k = min(num, vlen), the middle
     * {@code (start + end - 1) // 2} of each interval, padded with the last index to num.
     */
    public static int[] middle(int num, int vlen) {
        int k = Math.min(num, vlen);
        int[] edges = new int[k + 1];
        double step = (double) vlen / k;
        for (int i = 0; i < k; i++) {
            edges[i] = (int) (i * step); // numpy's arange * step, truncated toward zero
        }
        edges[k] = vlen;
        int[] out = new int[num];
        for (int i = 0; i < num; i++) {
            out[i] = i < k ? Math.floorDiv(edges[i] + edges[i + 1] - 1, 2) : out[k - 1];
        }
        return out;
    }
}

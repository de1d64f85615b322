package dev.qvgen.metrics.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** Decoded frames (packed RGB24) as the tensors the RAFT and AMT-S ports feed their networks. */
public final class RgbFrames {
    private RgbFrames() {}

    /**
     * (1, 3, H, W) float32 of row-major RGB24 bytes, each 8-bit value divided by {@code divisor}
     * in float32: 1 keeps 0..255 exactly (RAFT), 255 is VBench's img2tensor (AMT-S).
     */
    public static NDArray toTensor(NDManager manager, byte[] rgb, int height, int width, float divisor) {
        float[] values = new float[rgb.length];
        for (int i = 0; i < rgb.length; i++) {
            values[i] = (rgb[i] & 0xff) / divisor;
        }
        return manager.create(values, new Shape(height, width, 3)).transpose(2, 0, 1).expandDims(0);
    }
}

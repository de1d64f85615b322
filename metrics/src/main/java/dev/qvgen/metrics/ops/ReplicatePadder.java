package dev.qvgen.metrics.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

/**
 * RAFT's InputPadder in "sintel" mode and AMT's utils.InputPadder (the same arithmetic): pads H
 * and W up to multiples of a divisor (8 for RAFT, 16 for AMT-S in motion_smoothness), split
 * evenly with the odd pixel at the bottom/right, replicating the border pixels; unpad crops the
 * same margins.
 */
public final class ReplicatePadder {
    private final int height;
    private final int width;
    private final int left;
    private final int right;
    private final int top;
    private final int bottom;

    public ReplicatePadder(int height, int width, int divisor) {
        if (height < 1 || width < 1 || divisor < 1) {
            throw new IllegalArgumentException("cannot pad a " + width + "x" + height + " image to multiples of "
                    + divisor);
        }
        this.height = height;
        this.width = width;
        int padH = (((height / divisor) + 1) * divisor - height) % divisor;
        int padW = (((width / divisor) + 1) * divisor - width) % divisor;
        left = padW / 2;
        right = padW - padW / 2;
        top = padH / 2;
        bottom = padH - padH / 2;
    }

    public int paddedHeight() {
        return height + top + bottom;
    }

    public int paddedWidth() {
        return width + left + right;
    }

    /** (N, C, H, W) to (N, C, paddedHeight, paddedWidth) with replicated borders. */
    public NDArray pad(NDArray image) {
        if (image.getShape().get(2) != height || image.getShape().get(3) != width) {
            throw new IllegalArgumentException("padder made for " + width + "x" + height + ", got " + image.getShape());
        }
        return replicate(replicate(image, 2, top, bottom), 3, left, right);
    }

    /** The original (N, C, H, W) region of a padded array. */
    public NDArray unpad(NDArray padded) {
        return padded.get(":, :, " + top + ":" + (top + height) + ", " + left + ":" + (left + width));
    }

    private static NDArray replicate(NDArray x, int axis, int before, int after) {
        if (before == 0 && after == 0) {
            return x;
        }
        long size = x.getShape().get(axis);
        NDList parts = new NDList();
        if (before > 0) {
            parts.add(edge(x, axis, 0).repeat(axis, before));
        }
        parts.add(x);
        if (after > 0) {
            parts.add(edge(x, axis, size - 1).repeat(axis, after));
        }
        return NDArrays.concat(parts, axis);
    }

    private static NDArray edge(NDArray x, int axis, long index) {
        String slice = axis == 2 ? ":, :, " + index + ":" + (index + 1) : ":, :, :, " + index + ":" + (index + 1);
        return x.get(slice);
    }
}

package dev.qvgen.metrics.raft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * RAFT's InputPadder in "sintel" mode (the default VBench uses): pads H and W up to multiples of
 * 8, split evenly with the odd pixel at the bottom/right, replicating the border pixels.
 */
public final class InputPadder {
    private final int height;
    private final int width;
    private final int left;
    private final int right;
    private final int top;
    private final int bottom;

    public InputPadder(int height, int width) {
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("cannot pad a " + width + "x" + height + " image");
        }
        this.height = height;
        this.width = width;
        int padH = (((height / 8) + 1) * 8 - height) % 8;
        int padW = (((width / 8) + 1) * 8 - width) % 8;
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
        NDArray rows = replicate(image, 2, top, bottom);
        return replicate(rows, 3, left, right);
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
        return ai.djl.ndarray.NDArrays.concat(parts, axis);
    }

    private static NDArray edge(NDArray x, int axis, long index) {
        String slice = axis == 2 ? ":, :, " + index + ":" + (index + 1) : ":, :, :, " + index + ":" + (index + 1);
        return x.get(slice);
    }
}

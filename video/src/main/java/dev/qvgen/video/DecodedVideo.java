package dev.qvgen.video;

import java.util.ArrayList;
import java.util.List;

/**
 * Decoded frames as 8-bit RGB, the exact values the decoder produced (VBench-style metrics
 * work on these integers). Frame t is a tightly packed {@code byte[H*W*3]} in row-major
 * RGB order.
 */
public final class DecodedVideo {
    private final List<byte[]> frames;
    private final int height;
    private final int width;
    private final double fps;

    /**
     * @param frames RGB24 frames, each exactly {@code height*width*3} bytes (copied)
     */
    public DecodedVideo(List<byte[]> frames, int height, int width, double fps) {
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("a video needs at least one frame");
        }
        if (height < 1 || width < 1 || !(fps > 0)) {
            throw new IllegalArgumentException("bad video geometry " + width + "x" + height + " at " + fps + " fps");
        }
        List<byte[]> copies = new ArrayList<>(frames.size());
        for (int t = 0; t < frames.size(); t++) {
            byte[] frame = frames.get(t);
            if (frame.length != height * width * 3) {
                throw new IllegalArgumentException("frame " + t + " has " + frame.length + " bytes, expected "
                        + height * width * 3 + " for " + width + "x" + height + " RGB");
            }
            copies.add(frame.clone());
        }
        this.frames = List.copyOf(copies);
        this.height = height;
        this.width = width;
        this.fps = fps;
    }

    /** Quantises {@code float[F][H][W][3]} frames in [0,1] exactly as {@link Mp4Writer} does. */
    public static DecodedVideo fromFloats(float[][][][] frames, double fps) {
        if (frames.length == 0) {
            throw new IllegalArgumentException("a video needs at least one frame");
        }
        int height = frames[0].length;
        int width = height == 0 ? 0 : frames[0][0].length;
        List<byte[]> packed = new ArrayList<>(frames.length);
        for (int t = 0; t < frames.length; t++) {
            packed.add(pack(frames[t], t, height, width));
        }
        return new DecodedVideo(packed, height, width, fps);
    }

    static byte[] pack(float[][][] frame, int t, int height, int width) {
        if (frame.length != height) {
            throw new IllegalArgumentException("frame " + t + " has " + frame.length + " rows, expected " + height);
        }
        byte[] bytes = new byte[height * width * 3];
        for (int r = 0; r < height; r++) {
            if (frame[r].length != width) {
                throw new IllegalArgumentException("frame " + t + " row " + r + " has " + frame[r].length
                        + " pixels, expected " + width);
            }
            for (int c = 0; c < width; c++) {
                float[] pixel = frame[r][c];
                if (pixel.length != 3) {
                    throw new IllegalArgumentException("frame " + t + " pixel (" + r + "," + c + ") has "
                            + pixel.length + " channels, expected 3");
                }
                for (int k = 0; k < 3; k++) {
                    try {
                        bytes[(r * width + c) * 3 + k] = (byte) Rgb8.quantize(pixel[k]);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("frame " + t + " pixel (" + r + "," + c + ") channel "
                                + k + ": " + e.getMessage(), e);
                    }
                }
            }
        }
        return bytes;
    }

    public int frameCount() {
        return frames.size();
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public double fps() {
        return fps;
    }

    /** The 8-bit value (0..255) of one channel of one pixel. */
    public int sample(int frame, int row, int col, int channel) {
        return frames.get(frame)[(row * width + col) * 3 + channel] & 0xff;
    }

    /** A copy of frame t as packed RGB24 bytes. */
    public byte[] rgb8(int frame) {
        return frames.get(frame).clone();
    }

    /** The frames as {@code float[F][H][W][3]} in [0,1] (sample / 255). */
    public float[][][][] toFloats() {
        float[][][][] out = new float[frames.size()][height][width][3];
        for (int t = 0; t < frames.size(); t++) {
            byte[] frame = frames.get(t);
            for (int r = 0; r < height; r++) {
                for (int c = 0; c < width; c++) {
                    for (int k = 0; k < 3; k++) {
                        out[t][r][c][k] = Rgb8.toUnit(frame[(r * width + c) * 3 + k] & 0xff);
                    }
                }
            }
        }
        return out;
    }
}

package dev.qvgen.video;

/**
 * RGB24 to planar YUV 4:2:0 (BT.601, limited range: luma 16-235, chroma 16-240), the
 * conversion FFmpeg applies by default to untagged standard-definition video. Done here rather
 * than by FFmpeg's swscale because swscale's RGB-to-YUV path occasionally produced different
 * bytes for identical input (about 1 run in 50 in testing), which broke byte-identical output.
 * Chroma is the conversion of each 2x2 block's mean colour.
 */
final class Yuv420 {
    private Yuv420() {
    }

    /** Planar Y, then U (Cb), then V (Cr); width and height must be even. */
    static byte[] fromRgb24(byte[] rgb, int width, int height) {
        int lumaSize = width * height;
        int chromaWidth = width / 2;
        int chromaSize = chromaWidth * (height / 2);
        byte[] yuv = new byte[lumaSize + 2 * chromaSize];
        for (int i = 0; i < lumaSize; i++) {
            yuv[i] = clampToByte(16 + (65.481 * red(rgb, i) + 128.553 * green(rgb, i) + 24.966 * blue(rgb, i)) / 255);
        }
        for (int cy = 0; cy < height / 2; cy++) {
            for (int cx = 0; cx < chromaWidth; cx++) {
                double r = 0;
                double g = 0;
                double b = 0;
                for (int dy = 0; dy < 2; dy++) {
                    for (int dx = 0; dx < 2; dx++) {
                        int i = (2 * cy + dy) * width + 2 * cx + dx;
                        r += red(rgb, i) / 4;
                        g += green(rgb, i) / 4;
                        b += blue(rgb, i) / 4;
                    }
                }
                int c = cy * chromaWidth + cx;
                yuv[lumaSize + c] = clampToByte(128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255);
                yuv[lumaSize + chromaSize + c] = clampToByte(128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255);
            }
        }
        return yuv;
    }

    private static double red(byte[] rgb, int pixel) {
        return rgb[pixel * 3] & 0xff;
    }

    private static double green(byte[] rgb, int pixel) {
        return rgb[pixel * 3 + 1] & 0xff;
    }

    private static double blue(byte[] rgb, int pixel) {
        return rgb[pixel * 3 + 2] & 0xff;
    }

    private static byte clampToByte(double value) {
        return (byte) Math.max(0, Math.min(255, Math.round(value)));
    }
}

package dev.qvgen.harness.data;

import java.util.Locale;

/**
 * A decoded clip to the VAE's input, (3, F, H, W) in [-1, 1], as the official data pipeline does
 * (ModelTC/QVGen prepare_dataset/dataset.py): frames as floats in [0, 255], resized, then
 * {@code x / 255} and {@code Normalize(mean=0.5, std=0.5)}.
 */
public final class ClipPreprocessor {
    /** How a frame is brought to the target size. */
    public enum Crop {
        /**
         * Resized to exactly H x W, bilinear, the aspect ratio not kept: the official default
         * ({@code VideoDatasetWithResizing}, used when {@code --video_reshape_mode} is not given,
         * as in the published scripts).
         */
        NONE,
        /**
         * Resized bicubic so that it covers H x W with its aspect ratio kept, then the centre window
         * ({@code VideoDatasetWithResizeAndRectangleCrop} with {@code video_reshape_mode="center"}).
         */
        CENTER;

        public static Crop parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--crop must be none or center, got " + s);
            }
        }
    }

    private final int height;
    private final int width;
    private final Crop crop;

    public ClipPreprocessor(int height, int width, Crop crop) {
        this.height = height;
        this.width = width;
        this.crop = crop;
    }

    /** The clip as (3, F, H, W) floats, channel-major. */
    float[] toModelInput(ClipDecoder.Clip clip) {
        int f = clip.frames().size();
        int plane = height * width;
        float[] out = new float[3 * f * plane];
        for (int t = 0; t < f; t++) {
            float[] frame = frame(planar(clip.frames().get(t), clip.height(), clip.width()), clip.height(),
                    clip.width());
            for (int c = 0; c < 3; c++) {
                int dst = (c * f + t) * plane;
                for (int i = 0; i < plane; i++) {
                    // torchvision: x / 255.0, then Normalize((x - 0.5) / 0.5), in float32.
                    out[dst + i] = (frame[c * plane + i] / 255f - 0.5f) / 0.5f;
                }
            }
        }
        return out;
    }

    private float[] frame(float[] rgb, int h, int w) {
        if (crop == Crop.NONE) {
            return FrameResizer.resize(rgb, 3, h, w, height, width, FrameResizer.Filter.BILINEAR);
        }
        int rh;
        int rw;
        if ((double) w / h > (double) width / height) {
            rh = height;
            rw = (int) ((double) w * height / h);
        } else {
            rh = (int) ((double) h * width / w);
            rw = width;
        }
        float[] resized = FrameResizer.resize(rgb, 3, h, w, rh, rw, FrameResizer.Filter.BICUBIC);
        return FrameResizer.crop(resized, 3, rh, rw, (rh - height) / 2, (rw - width) / 2, height, width);
    }

    /** Packed RGB24 to planar (3, H, W) floats in [0, 255]. */
    static float[] planar(byte[] rgb, int h, int w) {
        int plane = h * w;
        float[] out = new float[3 * plane];
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < 3; c++) {
                out[c * plane + i] = rgb[i * 3 + c] & 0xff;
            }
        }
        return out;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public Crop crop() {
        return crop;
    }
}

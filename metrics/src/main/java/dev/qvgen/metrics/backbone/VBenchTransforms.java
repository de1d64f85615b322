package dev.qvgen.metrics.backbone;

import dev.qvgen.video.DecodedVideo;

/**
 * VBench's frame preprocessing (vbench/utils.py), applied to decoded uint8 frames as VBench
 * applies torchvision transforms to the uint8 (T, C, H, W) tensor from {@code load_video}:
 * <ul>
 * <li>{@code dino_transform(224)}: Resize(224) bilinear without antialias (shorter side to 224,
 *     longer side {@code int(224 * long / short)}), no crop, /255, ImageNet mean/std.</li>
 * <li>{@code clip_transform(224)}: Resize(224) bicubic without antialias, CenterCrop(224), /255,
 *     CLIP mean/std.</li>
 * </ul>
 * VBench's {@code load_video} wraps the decoded uint8 frames in {@code torch.Tensor(...)}, which
 * makes a float32 tensor of 0..255 values: the resize therefore runs in float and its result is
 * neither rounded nor clamped (bicubic overshoot below 0 or above 255 stays), unlike a resize of
 * a uint8 tensor. Only {@code read_frames_decord_by_fps} (overall_consistency, temporal_style)
 * hands the transforms a uint8 tensor: {@link #clipUint8}.
 */
public final class VBenchTransforms {
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};
    public static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    public static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};

    private VBenchTransforms() {}

    /** A normalised (3, height, width) image. */
    public record Image(float[] chw, int height, int width) {
    }

    /** VBench's {@code dino_transform(n)} of frame t. */
    public static Image dino(DecodedVideo video, int t, int n) {
        int[] size = resizedSize(video.height(), video.width(), n);
        float[] resized = resizeFloat(planes(video, t), video.height(), video.width(), size[0], size[1], false);
        return new Image(normalize(resized, size[0] * size[1], IMAGENET_MEAN, IMAGENET_STD), size[0], size[1]);
    }

    /** VBench's {@code clip_transform(n)} of frame t. */
    public static Image clip(DecodedVideo video, int t, int n) {
        int[] size = resizedSize(video.height(), video.width(), n);
        float[] resized = resizeFloat(planes(video, t), video.height(), video.width(), size[0], size[1], true);
        float[] cropped = centerCrop(resized, size[0], size[1], n, n);
        return new Image(normalize(cropped, n * n, CLIP_MEAN, CLIP_STD), n, n);
    }

    /**
     * VBench's {@code clip_transform(n)} of frame t held as a uint8 tensor (decord's torch bridge,
     * {@code read_frames_decord_by_fps}): torchvision resizes uint8 in float, then clamps a
     * bicubic result to 0..255 and rounds half to even back to uint8, before CenterCrop, /255
     * and CLIP mean/std.
     */
    public static Image clipUint8(DecodedVideo video, int t, int n) {
        int[] size = resizedSize(video.height(), video.width(), n);
        float[] resized = resizeFloat(planes(video, t), video.height(), video.width(), size[0], size[1], true);
        for (int i = 0; i < resized.length; i++) {
            resized[i] = (float) Math.rint(Math.min(255f, Math.max(0f, resized[i])));
        }
        float[] cropped = centerCrop(resized, size[0], size[1], n, n);
        return new Image(normalize(cropped, n * n, CLIP_MEAN, CLIP_STD), n, n);
    }

    /**
     * VBench's {@code clip_transform_Image(n)} of frame t: the frame as a PIL image, Pillow's
     * antialiased bicubic Resize(n), CenterCrop(n), ToTensor (/255), CLIP mean/std
     * (appearance_style reads frames this way).
     */
    public static Image clipPil(DecodedVideo video, int t, int n) {
        int[] size = resizedSize(video.height(), video.width(), n);
        byte[] resized = PilResize.bicubic(video.rgb8(t), video.height(), video.width(), size[0], size[1]);
        int hw = size[0] * size[1];
        float[] planes = new float[3 * hw];
        for (int i = 0; i < hw; i++) {
            for (int c = 0; c < 3; c++) {
                planes[c * hw + i] = resized[i * 3 + c] & 0xff;
            }
        }
        float[] cropped = centerCrop(planes, size[0], size[1], n, n);
        return new Image(normalize(cropped, n * n, CLIP_MEAN, CLIP_STD), n, n);
    }

    /** torchvision's size for {@code Resize(n)}: the shorter side becomes n, the longer side is truncated. */
    static int[] resizedSize(int h, int w, int n) {
        if (w <= h) {
            return new int[] {(int) ((long) n * h / w), n};
        }
        return new int[] {n, (int) ((long) n * w / h)};
    }

    /** Frame t as float (3, H, W) planes of 0..255 values. */
    static float[] planes(DecodedVideo video, int t) {
        byte[] rgb = video.rgb8(t);
        int hw = video.height() * video.width();
        float[] out = new float[3 * hw];
        for (int i = 0; i < hw; i++) {
            for (int c = 0; c < 3; c++) {
                out[c * hw + i] = rgb[i * 3 + c] & 0xff;
            }
        }
        return out;
    }

    /** torchvision's resize of a float tensor: plain interpolation, no rounding or clamping. */
    static float[] resizeFloat(float[] planes, int h, int w, int outH, int outW, boolean bicubic) {
        if (outH == h && outW == w) {
            return planes.clone(); // torchvision returns the image untouched when the size already matches
        }
        return bicubic ? TorchResize.bicubic(planes, 3, h, w, outH, outW)
                : TorchResize.bilinear(planes, 3, h, w, outH, outW);
    }

    /** torchvision CenterCrop: top = int(round((h - ch) / 2)), Python rounding (half to even). */
    static float[] centerCrop(float[] planes, int h, int w, int ch, int cw) {
        if (h < ch || w < cw) {
            throw new IllegalArgumentException("cannot center-crop " + w + "x" + h + " to " + cw + "x" + ch);
        }
        int top = (int) Math.rint((h - ch) / 2.0);
        int left = (int) Math.rint((w - cw) / 2.0);
        float[] out = new float[3 * ch * cw];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < ch; y++) {
                System.arraycopy(planes, (c * h + top + y) * w + left, out, (c * ch + y) * cw, cw);
            }
        }
        return out;
    }

    /** x/255 then (x - mean) / std per channel, in float as torchvision does. */
    /**
     * torchvision's {@code ToTensor()} then {@code Normalize(IMAGENET_MEAN, IMAGENET_STD)} of one
     * interleaved RGB frame: (3, H, W) planes of {@code (v / 255 - mean) / std}.
     */
    public static float[] imagenetPlanes(byte[] rgb, int hw) {
        float[] out = new float[3 * hw];
        for (int c = 0; c < 3; c++) {
            float mean = IMAGENET_MEAN[c];
            float std = IMAGENET_STD[c];
            for (int p = 0; p < hw; p++) {
                out[c * hw + p] = ((rgb[3 * p + c] & 0xff) / 255f - mean) / std;
            }
        }
        return out;
    }

    static float[] normalize(float[] planes, int hw, float[] mean, float[] std) {
        float[] out = new float[planes.length];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < hw; i++) {
                out[c * hw + i] = (planes[c * hw + i] / 255f - mean[c]) / std[c];
            }
        }
        return out;
    }
}

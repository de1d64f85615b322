package dev.qvgen.metrics.amt;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.metrics.ops.OwnedManager;
import dev.qvgen.metrics.ops.ReplicatePadder;
import dev.qvgen.metrics.ops.RgbFrames;
import dev.qvgen.video.DecodedVideo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * VBench "motion_smoothness" (vbench/motion_smoothness.py): how well a frame interpolation
 * network predicts the odd frames from the even ones.
 * <pre>
 *   inputs  = frames 0, 2, 4, ...                 (RGB / 255, padded to multiples of 16)
 *   pred_i  = AMT-S(input_i, input_{i+1}, t=1/2)  (unpadded, *255, clipped, truncated to uint8)
 *   diff_i  = mean |frame_{2i+1} - pred_i|        (8-bit values, all pixels and channels)
 *   score   = (255 - mean_i diff_i) / 255
 * </pre>
 * on every decoded frame, with VBench's CPU settings (scale factor 1, one interpolation pass).
 * Needs at least 3 frames (VBench asserts two inputs); fewer gives NaN with a reason. Padded
 * sides under 128 px make AMT's coarsest correlation level one pixel wide, where VBench's
 * PyTorch code yields NaN flows; this port does the same rather than invent a number.
 */
public final class MotionSmoothness implements VideoMetric, AutoCloseable {
    public static final String NAME = "motion_smoothness";
    static final int DIVISOR = 16;
    /** Below this padded side the 4th correlation level is empty (avg_pool2d fails in PyTorch too). */
    static final int MIN_PADDED_SIDE = 64;

    private final NDManager manager;
    private final AmtS model;
    private final String weightsName;

    private MotionSmoothness(NDManager manager, AmtS model, String weightsName) {
        this.manager = manager;
        this.model = model;
        this.weightsName = weightsName;
    }

    /**
     * @param weights VBench's {@code amt-s.pth} (the AMT trainer's checkpoint, or a bare state dict)
     * @throws dev.qvgen.layers.io.CheckpointException naming the file when it cannot be used
     */
    public static MotionSmoothness load(Path weights) {
        return load(weights, Device.cpu());
    }

    /** {@link #load(Path)} onto {@code device}, where the frames are then put too. */
    public static MotionSmoothness load(Path weights, Device device) {
        return OwnedManager.build(device,
                manager -> new MotionSmoothness(manager, AmtS.load(weights, manager), weights.getFileName().toString()));
    }

    @Override
    public String name() {
        return NAME;
    }

    /** @throws IllegalArgumentException for frames of 48 px or less on a side, which VBench cannot score either */
    @Override
    public MetricResult score(DecodedVideo video, MetricContext context) {
        int frames = video.frameCount();
        if (frames < 3) {
            return new MetricResult(Double.NaN, Map.of("reason", "needs at least 3 frames"));
        }
        ReplicatePadder padder = new ReplicatePadder(video.height(), video.width(), DIVISOR);
        if (padder.paddedHeight() < MIN_PADDED_SIDE || padder.paddedWidth() < MIN_PADDED_SIDE) {
            throw new IllegalArgumentException("AMT-S needs frames larger than 48 px a side, got " + video.width() + "x"
                    + video.height());
        }
        List<Double> diffs = new ArrayList<>();
        byte[] previous = video.rgb8(0);
        // outputs alternate input, prediction, input: the i-th prediction is compared with frame 2i+1
        for (int i = 0; 2 * i + 2 < frames; i++) {
            byte[] next = video.rgb8(2 * i + 2);
            byte[] predicted = interpolate(padder, previous, next, video.height(), video.width());
            diffs.add(meanAbsDiff(video.rgb8(2 * i + 1), predicted));
            previous = next;
        }
        double mean = diffs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        return new MetricResult((255.0 - mean) / 255.0, Map.of("mean_abs_diff", Double.toString(mean),
                "interpolated_frames", Integer.toString(diffs.size()), "model", "amt-s", "weights", weightsName));
    }

    /** One interpolated frame as packed RGB24, as VBench's tensor2img makes it. */
    byte[] interpolate(ReplicatePadder padder, byte[] rgb0, byte[] rgb1, int height, int width) {
        try (NDManager step = manager.newSubManager()) {
            NDArray img0 = padder.pad(toTensor(step, rgb0, height, width));
            NDArray img1 = padder.pad(toTensor(step, rgb1, height, width));
            NDArray pred = padder.unpad(model.interpolate(img0, img1));
            return toRgb8(pred.get(0).transpose(1, 2, 0).toFloatArray());
        }
    }

    /** img2tensor: (1, 3, H, W) float, each 8-bit value divided by 255 in float32. */
    static NDArray toTensor(NDManager manager, byte[] rgb, int height, int width) {
        return RgbFrames.toTensor(manager, rgb, height, width, 255f);
    }

    /** tensor2img on HWC floats: {@code (x * 255).clip(0, 255).astype(uint8)}, truncating as numpy does. */
    static byte[] toRgb8(float[] hwc) {
        byte[] out = new byte[hwc.length];
        for (int i = 0; i < hwc.length; i++) {
            float v = Math.min(Math.max(hwc[i] * 255f, 0f), 255f);
            out[i] = (byte) (int) v;
        }
        return out;
    }

    /** cv2.absdiff then np.mean over all pixels and channels. */
    static double meanAbsDiff(byte[] a, byte[] b) {
        long sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += Math.abs((a[i] & 0xff) - (b[i] & 0xff));
        }
        return (double) sum / a.length;
    }

    /** Frees the model's arrays; the metric cannot score afterwards. */
    @Override
    public void close() {
        manager.close();
    }
}

package dev.qvgen.metrics.vbench;

import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.metrics.backbone.VBenchTransforms;
import dev.qvgen.metrics.umt.KineticsCategories;
import dev.qvgen.metrics.umt.UmtVisionTransformer;
import dev.qvgen.video.DecodedVideo;
import dev.qvgen.video.OpenCvFrames;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * VBench "human_action" (vbench/human_action.py): 16 frames sampled at interval middles, each
 * resized with OpenCV's bilinear {@code cv2.resize} so its short side is 256, center-cropped to
 * 224, scaled to [0, 1] and ImageNet-normalised; the UMT Kinetics-400 classifier's sigmoid
 * scores; the video is correct when the prompt's action is among the top-5 classes whose score,
 * rounded to 4 decimals, is at least 0.85. The action is read from the prompt as VBench reads it
 * from the file name: the part before the first '-', after the last "person is ", before the
 * first '_'. The dimension's mean is the fraction of correct videos.
 */
public final class HumanAction implements VideoMetric {
    public static final String NAME = "human_action";
    /** Frames sampled per video; the classifier is built for them ({@link UmtVisionTransformer.Config#frames()}). */
    static final int FRAMES = 16;
    static final int SHORT_SIDE = 256;
    static final int CROP = 224;
    static final int TOP = 5;
    static final double THRESHOLD = 0.85;

    private final Supplier<UmtVisionTransformer> model;
    private final Supplier<KineticsCategories> categories;
    private final Device device;

    /** @param device where the clip is put: the device the classifier's weights are on */
    public HumanAction(Supplier<UmtVisionTransformer> model, Supplier<KineticsCategories> categories, Device device) {
        this.model = model;
        this.categories = categories;
        this.device = device;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public MetricResult score(DecodedVideo video, MetricContext context) {
        String action = action(context.requireCaption(NAME));
        List<String> top = new ArrayList<>();
        boolean correct = recognised(scores(video), categories.get(), action, top);
        Map<String, String> details = new LinkedHashMap<>();
        details.put("action", action);
        details.put("top5", String.join(",", top));
        return new MetricResult(correct ? 1.0 : 0.0, details);
    }

    /**
     * VBench's rule: the action is one of the top-5 classes whose score, rounded to 4 decimals
     * (Python's round), is at least 0.85.
     *
     * @param top receives "name:rounded score" of the top-5 classes, best first
     */
    static boolean recognised(float[] scores, KineticsCategories names, String action, List<String> top) {
        boolean correct = false;
        for (int i : topIndices(scores, TOP)) {
            double rounded = new BigDecimal(scores[i]).setScale(4, RoundingMode.HALF_EVEN).doubleValue();
            top.add(names.name(i) + ":" + rounded);
            if (rounded >= THRESHOLD && names.name(i).equals(action)) {
                correct = true;
            }
        }
        return correct;
    }

    /** The sigmoid class scores of the video's 16-frame clip. */
    float[] scores(DecodedVideo video) {
        int[] indices = FrameSampling.middle(FRAMES, video.frameCount());
        float[] clip = clip(video, indices);
        try (NDManager m = NDManager.newBaseManager(device)) {
            NDArray x = m.create(clip, new Shape(1, 3, indices.length, CROP, CROP));
            return ai.djl.nn.Activation.sigmoid(model.get().forward(x)).toFloatArray();
        }
    }

    /** VBench's label: lower-cased, before the first '-', after the last "person is ", before the first '_'. */
    static String action(String prompt) {
        String s = prompt.toLowerCase(Locale.ROOT);
        int dash = s.indexOf('-');
        s = dash >= 0 ? s.substring(0, dash) : s;
        int person = s.lastIndexOf("person is ");
        s = person >= 0 ? s.substring(person + "person is ".length()) : s;
        int underscore = s.indexOf('_');
        return underscore >= 0 ? s.substring(0, underscore) : s;
    }

    /** Indices of the k largest scores, largest first. */
    static int[] topIndices(float[] scores, int k) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Float.compare(scores[b], scores[a]));
        int[] out = new int[Math.min(k, order.length)];
        for (int i = 0; i < out.length; i++) {
            out[i] = order[i];
        }
        return out;
    }

    /** (3, T, 224, 224) normalised clip, channel-major as ClipToTensor lays it out. */
    static float[] clip(DecodedVideo video, int[] indices) {
        int t = indices.length;
        int plane = CROP * CROP;
        float[] out = new float[3 * t * plane];
        for (int i = 0; i < t; i++) {
            float[] planes = VBenchTransforms.imagenetPlanes(croppedFrame(video, indices[i]), plane);
            for (int c = 0; c < 3; c++) {
                System.arraycopy(planes, c * plane, out, (c * t + i) * plane, plane);
            }
        }
        return out;
    }

    /** One frame resized (short side 256, OpenCV bilinear on 8-bit) and center-cropped, HWC bytes. */
    static byte[] croppedFrame(DecodedVideo video, int frame) {
        int h = video.height();
        int w = video.width();
        int[] size = resizedSize(h, w); // short side 256, so the crop always fits
        byte[] resized;
        if (size[0] == h && size[1] == w) {
            resized = video.rgb8(frame);
        } else {
            try (Mat src = OpenCvFrames.rgb(video, frame); Mat dst = new Mat();
                    Size dsize = new Size(size[1], size[0])) {
                resize(src, dst, dsize, 0, 0, INTER_LINEAR);
                resized = OpenCvFrames.bytes(dst);
            }
        }
        int top = (int) Math.rint((size[0] - CROP) / 2.0);
        int left = (int) Math.rint((size[1] - CROP) / 2.0);
        byte[] out = new byte[CROP * CROP * 3];
        for (int y = 0; y < CROP; y++) {
            System.arraycopy(resized, ((top + y) * size[1] + left) * 3, out, y * CROP * 3, CROP * 3);
        }
        return out;
    }

    /**
     * VBench's get_resize_sizes: the short side becomes 256, the long side {@code int(256 * long / short)};
     * a frame whose short side is already 256 is left as it is.
     */
    static int[] resizedSize(int h, int w) {
        if (Math.min(h, w) == SHORT_SIDE) {
            return new int[] {h, w};
        }
        return w < h ? new int[] {(int) (SHORT_SIDE * (double) h / w), SHORT_SIDE}
                : new int[] {SHORT_SIDE, (int) (SHORT_SIDE * (double) w / h)};
    }
}

package dev.qvgen.metrics.toy;

import static org.bytedeco.opencv.global.opencv_core.CV_32S;
import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_imgproc.MORPH_RECT;
import static org.bytedeco.opencv.global.opencv_imgproc.connectedComponents;
import static org.bytedeco.opencv.global.opencv_imgproc.erode;
import static org.bytedeco.opencv.global.opencv_imgproc.getStructuringElement;

import dev.qvgen.video.DecodedVideo;
import dev.qvgen.video.OpenCvFrames;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Finds the coloured objects of one frame:
 * <ol>
 *   <li>background luma = the frame's median luma (objects cover a minority of the frame, and
 *       a generator's background may drift from the exact toy gray);</li>
 *   <li>foreground = pixels whose luma differs from it by more than {@link #FOREGROUND_LUMA_DELTA}.
 *       Luma rather than full RGB, because H.264's yuv420p keeps colour at half resolution:
 *       chroma bleeds a pixel or two into the background, luma does not. Every palette colour
 *       is at least 0.21 brighter than the toy background, so all objects show up;</li>
 *   <li>8-connected components of the foreground (OpenCV {@code connectedComponents}), each
 *       with its interior (OpenCV 3x3 {@code erode} of the foreground);</li>
 *   <li>each component is measured by {@link ToyRegion}: colour from the interior, extent from
 *       the at-least-half-covered pixels; regions under {@link #MIN_AREA} pixels are dropped.</li>
 * </ol>
 */
public final class ToyBlobDetector {
    /** Luma difference from the background, as a fraction of full scale, that marks foreground. */
    public static final double FOREGROUND_LUMA_DELTA = 0.1;
    /** About a quarter of a toy object's ~80 px area: smaller regions are noise or fragments. */
    public static final int MIN_AREA = 20;

    private ToyBlobDetector() {
    }

    public static List<ToyBlob> detect(DecodedVideo video, int frame) {
        int height = video.height();
        int width = video.width();
        byte[] luma;
        try (Mat gray = OpenCvFrames.gray(video, frame)) {
            luma = OpenCvFrames.bytes(gray);
        }
        int background = median(luma);
        List<ToyRegion> regions = components(foreground(luma, background), height, width);
        byte[] rgb = video.rgb8(frame);
        List<ToyBlob> blobs = new ArrayList<>();
        for (ToyRegion region : regions) {
            if (region.size() >= MIN_AREA) {
                ToyBlob blob = region.toBlob(rgb, luma, background, width, MIN_AREA);
                if (blob != null) {
                    blobs.add(blob);
                }
            }
        }
        return blobs;
    }

    private static byte[] foreground(byte[] luma, int background) {
        double delta = FOREGROUND_LUMA_DELTA * 255;
        byte[] mask = new byte[luma.length];
        for (int i = 0; i < luma.length; i++) {
            if (Math.abs((luma[i] & 0xff) - background) > delta) {
                mask[i] = (byte) 255;
            }
        }
        return mask;
    }

    private static List<ToyRegion> components(byte[] mask, int height, int width) {
        try (Mat maskMat = new Mat(height, width, CV_8U);
             Mat labels = new Mat();
             Mat interior = new Mat();
             Mat kernel = getStructuringElement(MORPH_RECT, new Size(3, 3))) {
            maskMat.data().put(mask);
            int count = connectedComponents(maskMat, labels, 8, CV_32S);
            erode(maskMat, interior, kernel);
            int[] labelOf = new int[height * width];
            ((IntBuffer) labels.createBuffer()).get(labelOf);
            byte[] inner = OpenCvFrames.bytes(interior);
            List<ToyRegion> regions = new ArrayList<>();
            for (int label = 1; label < count; label++) {
                regions.add(new ToyRegion());
            }
            for (int i = 0; i < labelOf.length; i++) {
                if (labelOf[i] > 0) {
                    regions.get(labelOf[i] - 1).add(i, inner[i] != 0);
                }
            }
            return regions;
        }
    }

    /** Lower median of 8-bit values via a histogram. */
    static int median(byte[] values) {
        int[] asInts = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            asInts[i] = values[i] & 0xff;
        }
        return median(asInts);
    }

    /** Lower median of values in 0..255 via a histogram. */
    static int median(int[] values) {
        int[] histogram = new int[256];
        for (int v : values) {
            histogram[v]++;
        }
        int rank = (values.length - 1) / 2;
        int seen = 0;
        for (int level = 0; level < 256; level++) {
            seen += histogram[level];
            if (seen > rank) {
                return level;
            }
        }
        throw new IllegalArgumentException("median of no values");
    }
}

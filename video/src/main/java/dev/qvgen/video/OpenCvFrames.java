package dev.qvgen.video;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_RGB2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;

/** Bridges {@link DecodedVideo} frames to OpenCV matrices. Callers close the returned Mats. */
public final class OpenCvFrames {
    private OpenCvFrames() {
    }

    /** Frame t as an 8-bit 3-channel Mat in RGB order. */
    public static Mat rgb(DecodedVideo video, int frame) {
        Mat mat = new Mat(video.height(), video.width(), CV_8UC3);
        BytePointer data = mat.data();
        data.put(video.rgb8(frame));
        return mat;
    }

    /** Frame t as an 8-bit single-channel luma Mat (ITU-R BT.601 weights, as OpenCV's RGB2GRAY). */
    public static Mat gray(DecodedVideo video, int frame) {
        try (Mat rgb = rgb(video, frame)) {
            Mat gray = new Mat();
            cvtColor(rgb, gray, COLOR_RGB2GRAY);
            return gray;
        }
    }

    /** The bytes of a continuous 8-bit Mat, row-major. */
    public static byte[] bytes(Mat mat) {
        byte[] out = new byte[(int) (mat.total() * mat.channels())];
        mat.data().get(out);
        return out;
    }
}

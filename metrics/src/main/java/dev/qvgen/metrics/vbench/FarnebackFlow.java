package dev.qvgen.metrics.vbench;

import static org.bytedeco.opencv.global.opencv_video.calcOpticalFlowFarneback;

import dev.qvgen.metrics.video.DecodedVideo;
import dev.qvgen.metrics.video.OpenCvFrames;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Dense optical flow magnitudes with OpenCV's Farneback method, standing in for VBench's
 * RAFT (a learned model this harness does not ship). Parameters are OpenCV's commonly used
 * defaults; 3 pyramid levels follow motions of tens of pixels.
 */
final class FarnebackFlow implements OpticalFlow {
    static final String NAME = "opencv-farneback";
    static final double PYRAMID_SCALE = 0.5;
    static final int LEVELS = 3;
    static final int WINDOW = 15;
    static final int ITERATIONS = 3;
    static final int POLY_N = 5;
    static final double POLY_SIGMA = 1.2;

    @Override
    public String name() {
        return NAME;
    }

    /** Computed on 8-bit gray frames at their own size (no padding). */
    @Override
    public List<float[]> pairMagnitudes(DecodedVideo video, List<Integer> frames) {
        List<float[]> out = new ArrayList<>();
        Mat previous = OpenCvFrames.gray(video, frames.get(0));
        try {
            for (int i = 1; i < frames.size(); i++) {
                Mat next = OpenCvFrames.gray(video, frames.get(i));
                out.add(magnitudes(previous, next));
                previous.close();
                previous = next;
            }
        } finally {
            previous.close();
        }
        return out;
    }

    @Override
    public String parameters() {
        return "pyr_scale=" + PYRAMID_SCALE + ",levels=" + LEVELS + ",winsize=" + WINDOW + ",iterations="
                + ITERATIONS + ",poly_n=" + POLY_N + ",poly_sigma=" + POLY_SIGMA;
    }

    /** Per-pixel flow magnitude sqrt(u² + v²) from {@code previous} to {@code next} (8-bit gray). */
    static float[] magnitudes(Mat previous, Mat next) {
        try (Mat flow = new Mat()) {
            calcOpticalFlowFarneback(previous, next, flow, PYRAMID_SCALE, LEVELS, WINDOW, ITERATIONS, POLY_N,
                    POLY_SIGMA, 0);
            int pixels = (int) flow.total();
            float[] uv = new float[pixels * 2];
            FloatBuffer buffer = flow.createBuffer();
            buffer.get(uv);
            float[] magnitude = new float[pixels];
            for (int i = 0; i < pixels; i++) {
                float u = uv[2 * i];
                float v = uv[2 * i + 1];
                magnitude[i] = (float) Math.sqrt(u * u + v * v);
            }
            return magnitude;
        }
    }
}

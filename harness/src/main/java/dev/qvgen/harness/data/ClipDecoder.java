package dev.qvgen.harness.data;

import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes only the frames a clip needs, with JavaCV/FFmpeg as metrics' Mp4Reader does, but
 * streaming: Mp4Reader keeps every frame (a 10 s 1080p source is ~1.9 GB of RGB), while a training
 * clip keeps 49. The frame count is the container's (what decord's {@code len()} reports, and what
 * the official rule divides); when the container does not say, the file is decoded twice, once to count.
 */
final class ClipDecoder {
    /** A video that cannot give a clip; the message is the one-line reason. */
    static final class Unusable extends Exception {
        Unusable(String reason) {
            super(reason);
        }
    }

    /** The kept frames as packed RGB24, with the source's geometry. */
    record Clip(List<byte[]> frames, int height, int width, int sourceFrames, double fps) {}

    private ClipDecoder() {}

    static Clip decode(Path file, ClipSampler sampler, int minHeight, int minWidth) throws Unusable {
        requireFile(file);
        // The data step reports each unusable video in one line of its own; FFmpeg's native
        // messages about the same file would only repeat it, several lines long.
        avutil.av_log_set_level(avutil.AV_LOG_QUIET);
        FFmpegFrameGrabber g = start(file);
        try {
            int width = g.getImageWidth();
            int height = g.getImageHeight();
            if (height < minHeight || width < minWidth) {
                throw new Unusable("too small (" + width + "x" + height + ", needs at least " + minWidth + "x"
                        + minHeight + ")");
            }
            double fps = g.getFrameRate() > 0 ? g.getFrameRate() : 1.0;
            int n = g.getLengthInVideoFrames();
            if (n <= 0) {
                n = countFrames(file);
                releaseQuietly(g);
                g = start(file);
            }
            int[] indices = sampler.indices(n, fps);
            if (indices == null) {
                throw new Unusable("too short (" + n + " frames, needs " + sampler.needs(fps) + ")");
            }
            List<byte[]> kept = new ArrayList<>(indices.length);
            int next = 0;
            for (int i = 0; next < indices.length; i++) {
                Frame f = grab(g, i);
                if (f == null) {
                    throw new Unusable("truncated (decoded " + i + " of " + n + " frames the container declares)");
                }
                if (f.imageWidth != width || f.imageHeight != height) {
                    throw new Unusable("frame " + i + " is " + f.imageWidth + "x" + f.imageHeight + ", the stream "
                            + width + "x" + height);
                }
                while (next < indices.length && indices[next] == i) {
                    kept.add(packRows(f, width, height));
                    next++;
                }
            }
            return new Clip(kept, height, width, n, fps);
        } finally {
            releaseQuietly(g);
        }
    }

    private static void requireFile(Path file) throws Unusable {
        if (!Files.isRegularFile(file)) {
            throw new Unusable(Files.exists(file) ? "not a regular file" : "file does not exist");
        }
        try {
            if (Files.size(file) == 0) {
                throw new Unusable("file is empty");
            }
        } catch (IOException e) {
            throw new Unusable("cannot read (" + e.getMessage() + ")");
        }
    }

    private static FFmpegFrameGrabber start(Path file) throws Unusable {
        FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile());
        g.setPixelFormat(avutil.AV_PIX_FMT_RGB24);
        try {
            g.start();
        } catch (FrameGrabber.Exception e) {
            releaseQuietly(g);
            throw new Unusable("not a readable video (" + firstLine(e.getMessage()) + ")");
        }
        if (g.getVideoStream() < 0 || g.getImageWidth() <= 0 || g.getImageHeight() <= 0) {
            releaseQuietly(g);
            throw new Unusable("no video stream");
        }
        return g;
    }

    private static int countFrames(Path file) throws Unusable {
        FFmpegFrameGrabber g = start(file);
        try {
            int n = 0;
            while (grab(g, n) != null) {
                n++;
            }
            if (n == 0) {
                throw new Unusable("no decodable video frames");
            }
            return n;
        } finally {
            releaseQuietly(g);
        }
    }

    private static Frame grab(FFmpegFrameGrabber g, int index) throws Unusable {
        try {
            return g.grabImage();
        } catch (FrameGrabber.Exception e) {
            throw new Unusable("decoding failed at frame " + index + " (" + firstLine(e.getMessage()) + ")");
        }
    }

    /** The decoder's rows may be padded ({@code imageStride} bytes); keep only the pixels. */
    private static byte[] packRows(Frame frame, int width, int height) {
        ByteBuffer image = (ByteBuffer) frame.image[0];
        int rowBytes = width * 3;
        byte[] packed = new byte[height * rowBytes];
        for (int r = 0; r < height; r++) {
            image.get(r * frame.imageStride, packed, r * rowBytes, rowBytes);
        }
        return packed;
    }

    private static void releaseQuietly(FFmpegFrameGrabber g) {
        try {
            g.release();
        } catch (FrameGrabber.Exception ignored) {
            // Nothing useful to add to the error being reported.
        }
    }

    private static String firstLine(String s) {
        return s == null ? "no detail" : s.lines().findFirst().orElse("no detail").strip();
    }
}

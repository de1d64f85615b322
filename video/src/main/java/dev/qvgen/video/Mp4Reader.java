package dev.qvgen.video;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;

/**
 * Decodes a video file into 8-bit RGB frames with FFmpeg. Any file that cannot be fully
 * decoded fails with a {@link VideoReadException}: missing, empty, not a video, or truncated
 * (fewer frames decoded than the container declares).
 */
public final class Mp4Reader {
    private static final int RGB_CHANNELS = 3;

    private Mp4Reader() {
    }

    /** The frames as {@code float[F][H][W][3]} in [0,1]. */
    public static float[][][][] read(Path file) {
        return decode(file).toFloats();
    }

    /** The frames as the decoder's 8-bit RGB values, with the stream's frame rate. */
    public static DecodedVideo decode(Path file) {
        requireNonEmptyFile(file);
        FfmpegLogging.quiet();
        FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(file.toFile());
        grabber.setPixelFormat(avutil.AV_PIX_FMT_RGB24);
        try {
            try {
                grabber.start();
            } catch (FrameGrabber.Exception e) {
                throw new VideoReadException(file, "not a readable video (" + FfmpegErrors.describe(e.getMessage())
                        + ")", e);
            }
            if (grabber.getVideoStream() < 0 || grabber.getImageWidth() <= 0 || grabber.getImageHeight() <= 0) {
                throw new VideoReadException(file, "no video stream");
            }
            return grabAll(file, grabber);
        } finally {
            try {
                grabber.release();
            } catch (FrameGrabber.Exception ignored) {
                // Releasing native buffers after a failed read; the read error matters more.
            }
        }
    }

    private static DecodedVideo grabAll(Path file, FFmpegFrameGrabber grabber) {
        int width = grabber.getImageWidth();
        int height = grabber.getImageHeight();
        List<byte[]> frames = new ArrayList<>();
        while (true) {
            Frame frame;
            try {
                frame = grabber.grabImage();
            } catch (FrameGrabber.Exception e) {
                throw new VideoReadException(file, "decoding failed after " + frames.size() + " frames ("
                        + FfmpegErrors.describe(e.getMessage()) + ")", e);
            }
            if (frame == null) {
                break;
            }
            if (frame.imageWidth != width || frame.imageHeight != height) {
                throw new VideoReadException(file, "frame " + frames.size() + " is " + frame.imageWidth + "x"
                        + frame.imageHeight + " but the stream is " + width + "x" + height);
            }
            frames.add(packRows(frame, width, height));
        }
        if (frames.isEmpty()) {
            throw new VideoReadException(file, "no decodable video frames");
        }
        long declared = declaredFrameCount(grabber);
        if (declared > frames.size()) {
            throw new VideoReadException(file, "truncated: decoded " + frames.size() + " of " + declared
                    + " frames declared by the container");
        }
        double fps = grabber.getFrameRate();
        return new DecodedVideo(frames, height, width, fps > 0 ? fps : 1.0);
    }

    /** The decoder's rows may be padded ({@code imageStride} bytes); keep only the pixels. */
    private static byte[] packRows(Frame frame, int width, int height) {
        ByteBuffer image = (ByteBuffer) frame.image[0];
        int rowBytes = width * RGB_CHANNELS;
        byte[] packed = new byte[height * rowBytes];
        for (int r = 0; r < height; r++) {
            image.get(r * frame.imageStride, packed, r * rowBytes, rowBytes);
        }
        return packed;
    }

    /** Frame count from the container's index (0 when the container does not say). */
    private static long declaredFrameCount(FFmpegFrameGrabber grabber) {
        AVFormatContext context = grabber.getFormatContext();
        if (context == null) {
            return 0;
        }
        return Math.max(0, context.streams(grabber.getVideoStream()).nb_frames());
    }

    private static void requireNonEmptyFile(Path file) {
        if (!Files.exists(file)) {
            throw new VideoReadException(file, "file does not exist");
        }
        if (!Files.isRegularFile(file)) {
            throw new VideoReadException(file, "not a regular file");
        }
        try {
            if (Files.size(file) == 0) {
                throw new VideoReadException(file, "file is empty");
            }
        } catch (IOException e) {
            throw new VideoReadException(file, "cannot stat file (" + e.getMessage() + ")", e);
        }
    }
}

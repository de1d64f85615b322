package dev.qvgen.video;

import org.bytedeco.ffmpeg.global.avutil;

/**
 * Keeps FFmpeg from printing per-file warnings and info on stderr. Only errors are printed;
 * those for files we fail on are also reported through {@link VideoReadException}.
 */
final class FfmpegLogging {
    private static boolean quiet;

    private FfmpegLogging() {
    }

    static synchronized void quiet() {
        if (!quiet) {
            avutil.av_log_set_level(avutil.AV_LOG_ERROR);
            quiet = true;
        }
    }
}

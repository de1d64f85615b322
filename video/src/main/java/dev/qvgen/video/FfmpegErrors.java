package dev.qvgen.video;

import org.bytedeco.ffmpeg.global.avutil;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * FFmpeg's own words for a JavaCV error. JavaCV's messages carry the call, the path again and its
 * own hints ({@code avformat_open_input() error -1094995529: Could not open input "x.mp4". (Has
 * setFormat() been called?)}): a results table and an error line want what FFmpeg said.
 */
final class FfmpegErrors {
    private static final Pattern CODE = Pattern.compile("error (-?\\d+)");

    private FfmpegErrors() {}

    /** {@code FFmpeg: <av_strerror text>} when the message has an FFmpeg error code, else the message without hints. */
    static String describe(String javacvMessage) {
        String m = javacvMessage == null ? "" : javacvMessage;
        Matcher code = CODE.matcher(m);
        if (code.find()) {
            try {
                int err = Integer.parseInt(code.group(1));
                byte[] buf = new byte[256];
                if (avutil.av_strerror(err, buf, buf.length) == 0) {
                    int n = 0;
                    while (n < buf.length && buf[n] != 0) {
                        n++;
                    }
                    return "FFmpeg: " + new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8);
                }
            } catch (NumberFormatException | UnsatisfiedLinkError ignored) {
                // fall through to the cleaned message
            }
        }
        String cleaned = m.replaceAll("\\s*\\(Has setFormat\\(\\) been called\\?\\)", "")
                .replaceAll("\\s*\\(For more details, make sure FFmpegLogCallback\\.set\\(\\) has been called\\.\\)", "")
                .strip();
        return cleaned.isEmpty() ? "FFmpeg gave no reason" : cleaned;
    }
}

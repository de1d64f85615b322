package dev.qvgen.harness.data;

import com.google.gson.JsonObject;

import java.util.Locale;

/**
 * Which frames of a source video make one training clip.
 *
 * <p>The default ({@link Rule#EVEN}) is the official QVGen data rule (ModelTC/QVGen
 * prepare_dataset/dataset.py, {@code VideoDatasetWithResizing._preprocess_video}, and
 * training/dataset.py): {@code indices = range(0, n, n // F)[:F]}, i.e. frame {@code i * floor(n / F)}
 * for i in [0, F), where n is the video's frame count; a video with fewer than F frames is too short
 * (the official code would divide by a zero stride). {@link Rule#STRIDE} takes every k-th frame from
 * the first; {@link Rule#FPS} takes the frame shown at each time {@code i / fps} seconds (the last
 * frame whose timestamp is not after it), which resamples clips of any frame rate to one rate.
 */
public record ClipSampler(Rule rule, int frames, int stride, double fps) {
    public enum Rule { EVEN, STRIDE, FPS }

    public ClipSampler {
        if (frames < 1) {
            throw new IllegalArgumentException("frames must be positive, got " + frames);
        }
        if (rule == Rule.STRIDE && stride < 1) {
            throw new IllegalArgumentException("--stride must be positive, got " + stride);
        }
        if (rule == Rule.FPS && !(fps > 0)) {
            throw new IllegalArgumentException("--sample-fps must be positive, got " + fps);
        }
    }

    public static ClipSampler even(int frames) {
        return new ClipSampler(Rule.EVEN, frames, 0, 0);
    }

    public static ClipSampler stride(int frames, int stride) {
        return new ClipSampler(Rule.STRIDE, frames, stride, 0);
    }

    public static ClipSampler fps(int frames, double fps) {
        return new ClipSampler(Rule.FPS, frames, 0, fps);
    }

    /**
     * The source frame indices, ascending, or null when the video is too short.
     *
     * @param sourceFrames the video's frame count
     * @param sourceFps the video's frame rate (used by {@link Rule#FPS} only)
     */
    public int[] indices(int sourceFrames, double sourceFps) {
        int[] out = new int[frames];
        for (int i = 0; i < frames; i++) {
            long idx = switch (rule) {
                case EVEN -> sourceFrames < frames ? -1 : (long) i * (sourceFrames / frames);
                case STRIDE -> (long) i * stride;
                case FPS -> (long) Math.floor(i * sourceFps / fps + 1e-9);
            };
            if (idx < 0 || idx >= sourceFrames) {
                return null;
            }
            out[i] = (int) idx;
        }
        return out;
    }

    /** The source frames a clip needs at least, for the skip message. */
    public String needs(double sourceFps) {
        return switch (rule) {
            case EVEN -> frames + " frames";
            case STRIDE -> ((long) (frames - 1) * stride + 1) + " frames at stride " + stride;
            case FPS -> String.format(Locale.ROOT, "%.2f s at %.2f fps", (frames - 1) / fps, fps);
        };
    }

    /** The rule as the manifest records it. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("rule", rule.name().toLowerCase(Locale.ROOT));
        o.addProperty("frames", frames);
        switch (rule) {
            case EVEN -> o.addProperty("description", "frame i * floor(n / frames), as ModelTC/QVGen's dataset.py");
            case STRIDE -> o.addProperty("stride", stride);
            case FPS -> o.addProperty("fps", fps);
        }
        return o;
    }
}

package dev.qvgen.bench.metrics;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.amt.MotionSmoothness;
import dev.qvgen.metrics.vbench.DynamicDegree;
import dev.qvgen.metrics.vbench.TemporalFlickering;
import dev.qvgen.video.DecodedVideo;
import dev.qvgen.video.Mp4Reader;
import dev.qvgen.video.Mp4Writer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * VBench dimensions per video on one core: a 480x832, 49-frame, 16 fps clip (Wan2.1's frame
 * size) is encoded once with {@link Mp4Writer}, decoded once, and scored repeatedly. Throughput
 * is videos per second on one thread, with DJL, OpenMP and OpenCV held to one thread each.
 *
 * <p>motion_smoothness needs AMT-S weights: {@code -Dqvgen.bench.amt=path/to/amt-s.pth} (the
 * parity fixture's random full-size weights cost the same as the published ones).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
    "-Dai.djl.pytorch.num_interop_threads=1"})
public class VBenchMetricsBenchmark {
    static final int FRAMES = 49;
    static final int HEIGHT = 480;
    static final int WIDTH = 832;
    static final int FPS = 16;

    /** The encoded clip and its decoded frames, made once per fork. */
    @State(Scope.Benchmark)
    public static class Clip {
        Path dir;
        Path mp4;
        DecodedVideo video;

        @Setup(Level.Trial)
        public void make() throws IOException {
            org.bytedeco.opencv.global.opencv_core.setNumThreads(1);
            dir = Files.createTempDirectory("qvgen-bench-metrics");
            mp4 = dir.resolve("clip.mp4");
            Mp4Writer.write(mp4, synthesise(), FPS);
            video = Mp4Reader.decode(mp4);
            if (video.frameCount() != FRAMES || video.height() != HEIGHT || video.width() != WIDTH) {
                throw new IllegalStateException("decoded " + video.frameCount() + " frames of " + video.width() + "x"
                        + video.height());
            }
        }

        @TearDown(Level.Trial)
        public void delete() throws IOException {
            Files.deleteIfExists(mp4);
            Files.deleteIfExists(dir);
        }
    }

    /**
     * Smooth colour waves drifting a few pixels per frame plus a bright square crossing the
     * frame: moving content, so the flow and interpolation work is typical rather than trivial.
     */
    static float[][][][] synthesise() {
        float[][][][] v = new float[FRAMES][HEIGHT][WIDTH][3];
        for (int t = 0; t < FRAMES; t++) {
            int sx = 40 + 12 * t;
            for (int r = 0; r < HEIGHT; r++) {
                for (int c = 0; c < WIDTH; c++) {
                    float[] px = v[t][r][c];
                    px[0] = 0.5f + 0.35f * (float) Math.sin((c - 3.0 * t) / 37.0 + r / 61.0);
                    px[1] = 0.5f + 0.35f * (float) Math.cos((r + 2.0 * t) / 29.0 - c / 83.0);
                    px[2] = 0.5f + 0.3f * (float) Math.sin((c + r - 4.0 * t) / 45.0);
                    if (r >= 200 && r < 280 && c >= sx && c < sx + 80) {
                        px[0] = px[1] = px[2] = 0.95f;
                    }
                }
            }
        }
        return v;
    }

    /** Decoding the MP4 to RGB frames, which every dimension needs first. */
    @Benchmark
    public DecodedVideo decode(Clip clip) {
        return Mp4Reader.decode(clip.mp4);
    }

    @Benchmark
    public double temporalFlickering(Clip clip) {
        return new TemporalFlickering().score(clip.video, MetricContext.none()).value();
    }

    /** dynamic_degree with OpenCV Farneback flow (the weight-free default). */
    @Benchmark
    public double dynamicDegreeFarneback(Clip clip) {
        return new DynamicDegree().score(clip.video, MetricContext.none()).value();
    }

    /** AMT-S loaded once from {@code -Dqvgen.bench.amt}. */
    @State(Scope.Benchmark)
    public static class Amt {
        MotionSmoothness metric;

        @Setup(Level.Trial)
        public void load() {
            String path = System.getProperty("qvgen.bench.amt");
            if (path == null) {
                throw new IllegalStateException("motionSmoothnessAmt needs -Dqvgen.bench.amt=amt-s.pth");
            }
            metric = MotionSmoothness.load(Path.of(path));
        }

        @TearDown(Level.Trial)
        public void close() {
            metric.close();
        }
    }

    /** motion_smoothness: 24 AMT-S interpolations at 480x832 per video. */
    @Benchmark
    public double motionSmoothnessAmt(Clip clip, Amt amt) {
        return amt.metric.score(clip.video, MetricContext.none()).value();
    }
}

package dev.qvgen.metrics.vbench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

import dev.qvgen.metrics.MetricContext;
import dev.qvgen.metrics.MetricResult;
import dev.qvgen.metrics.VideoMetric;
import dev.qvgen.metrics.backbone.TorchResize;
import dev.qvgen.metrics.musiq.Musiq;
import dev.qvgen.video.DecodedVideo;

import java.util.Map;
import java.util.function.Supplier;

/**
 * VBench "imaging_quality" (vbench/imaging_quality.py, {@code technical_quality} with VBench's
 * default preprocessing mode "longer"): the frames, as the float 0..255 tensor
 * {@code load_video} returns, are resized when their longer side exceeds 512 to
 * {@code (int(s * h), int(s * w))} with {@code s = 512 / max(h, w)} (torchvision Resize:
 * bilinear, no antialias, no rounding), divided by 255 and scored one by one by MUSIQ (pyiqa,
 * SPAQ checkpoint). A video's VBench result is its mean MUSIQ score (0..100, kept in the
 * details as {@code mean_musiq}); the dimension is the mean over videos / 100, so the value
 * returned here is the video's mean / 100.
 */
public final class ImagingQuality implements VideoMetric {
    public static final String NAME = "imaging_quality";
    /** VBench's longest side before MUSIQ. */
    static final int MAX_SIDE = 512;

    private final Supplier<Musiq> musiq;
    private final Device device;

    /** @param device where the frames are put: the device the network's weights are on */
    public ImagingQuality(Supplier<Musiq> musiq, Device device) {
        this.musiq = musiq;
        this.device = device;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** VBench's 'longer' size: unchanged up to 512, else the longer side scaled to 512 and truncated. */
    static int[] size(int h, int w) {
        if (Math.max(h, w) <= MAX_SIDE) {
            return new int[] {h, w};
        }
        double s = (double) MAX_SIDE / Math.max(h, w);
        return new int[] {(int) (s * h), (int) (s * w)};
    }

    @Override
    public MetricResult score(DecodedVideo video, MetricContext context) {
        Musiq model = musiq.get();
        int h = video.height();
        int w = video.width();
        int[] size = size(h, w);
        double sum = 0;
        try (NDManager manager = NDManager.newBaseManager(device)) {
            for (int t = 0; t < video.frameCount(); t++) {
                float[] planes = planes(video.rgb8(t), h * w);
                if (size[0] != h || size[1] != w) {
                    planes = TorchResize.bilinear(planes, 3, h, w, size[0], size[1]);
                }
                for (int i = 0; i < planes.length; i++) {
                    planes[i] = planes[i] / 255f;
                }
                sum += model.score(planes, size[0], size[1], manager);
            }
        }
        double mean = sum / video.frameCount();
        return new MetricResult(mean / 100.0, Map.of("frames", Integer.toString(video.frameCount()),
                "mean_musiq", Double.toString(mean), "input_size", size[1] + "x" + size[0]));
    }

    /** Interleaved RGB bytes to float (3, H, W) planes of 0..255 values. */
    private static float[] planes(byte[] rgb, int hw) {
        float[] out = new float[3 * hw];
        for (int i = 0; i < hw; i++) {
            for (int c = 0; c < 3; c++) {
                out[c * hw + i] = rgb[i * 3 + c] & 0xff;
            }
        }
        return out;
    }
}

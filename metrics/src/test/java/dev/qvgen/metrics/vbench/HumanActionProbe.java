package dev.qvgen.metrics.vbench;

import dev.qvgen.video.DecodedVideo;

/** Test access to HumanAction's package-private steps. */
public final class HumanActionProbe {
    private HumanActionProbe() {}

    public static String action(String prompt) {
        return HumanAction.action(prompt);
    }

    public static int[] resizedSize(int h, int w) {
        return HumanAction.resizedSize(h, w);
    }

    public static byte[] croppedFrame(DecodedVideo video, int frame) {
        return HumanAction.croppedFrame(video, frame);
    }

    public static float[] scores(HumanAction metric, DecodedVideo video) {
        return metric.scores(video);
    }

    public static boolean recognised(float[] scores, dev.qvgen.metrics.umt.KineticsCategories names, String action,
            java.util.List<String> top) {
        return HumanAction.recognised(scores, names, action, top);
    }

    public static int[] topIndices(float[] scores, int k) {
        return HumanAction.topIndices(scores, k);
    }
}

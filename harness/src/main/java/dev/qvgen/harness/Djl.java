package dev.qvgen.harness;

/**
 * DJL settings that must be in place before the engine starts: offline (natives come from the
 * pytorch-native-cpu jar on the class path, nothing is downloaded) and no usage tracking (its
 * start-up otherwise probes a cloud metadata address).
 */
public final class Djl {
    private Djl() {}

    public static void configure(int threads) {
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("ai.djl.offline", "true");
        if (threads > 0) {
            System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(threads));
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
    }
}

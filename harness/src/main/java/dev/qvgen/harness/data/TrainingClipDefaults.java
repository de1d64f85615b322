package dev.qvgen.harness.data;

/**
 * The clip size the official QVGen recipe trains each family at (ModelTC/QVGen
 * script/data/prepare_dataset_wan_1-3b.sh: 49x480x832; prepare_dataset_cogvideox_2b.sh and
 * script/train/w4a4_cogvideox_2b.sh's {@code --video_resolution_buckets 49x480x720}). The
 * authors publish scripts for Wan2.1-1.3B and CogVideoX-2B only; the larger models of each family get
 * the same size here.
 */
public record TrainingClipDefaults(int frames, int height, int width) {
    public static TrainingClipDefaults forPipeline(String pipelineClass) {
        return switch (pipelineClass) {
            case "WanPipeline" -> new TrainingClipDefaults(49, 480, 832);
            case "CogVideoXPipeline" -> new TrainingClipDefaults(49, 480, 720);
            default -> throw new IllegalArgumentException("no training clip size known for " + pipelineClass
                    + "; give --frames, --height and --width");
        };
    }
}

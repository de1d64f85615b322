package dev.qvgen.layers.io;

import java.nio.file.Files;
import java.nio.file.Path;

/** Opens a component's weights in the diffusers layout: single file or sharded with an index. */
public final class WeightSources {
    private WeightSources() {}

    /**
     * @param dir component directory, e.g. {@code transformer/}
     * @param baseName e.g. {@code diffusion_pytorch_model} or {@code model}
     */
    public static WeightSource open(Path dir, String baseName) {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException(dir + ": checkpoint directory not found");
        }
        Path single = dir.resolve(baseName + ".safetensors");
        Path index = dir.resolve(baseName + ".safetensors.index.json");
        if (Files.exists(single)) {
            return SafeTensorsFile.open(single);
        }
        if (Files.exists(index)) {
            return ShardedSafeTensors.open(index);
        }
        throw new CheckpointException(dir + ": no " + single.getFileName() + " or " + index.getFileName());
    }
}

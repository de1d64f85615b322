package dev.qvgen.harness.cli;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.harness.study.LatentSource;
import dev.qvgen.harness.study.ZooStudyModel;
import dev.qvgen.models.family.ModelFamilies;
import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.models.zoo.ModelRegistry;
import dev.qvgen.models.zoo.ModelSpec;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The options of a quantization job on a zoo model (training or calibration): a registered model
 * with its published checkpoint, or any diffusers text-to-video pipeline, the bit widths, the work
 * directory, the device, and the encoded training clips.
 */
final class ZooModelOptions {
    @Option(names = "--model", description = "A registered model (see `qvgen generate --help`); with --model-dir.")
    String model;

    @Option(names = "--model-dir", description = "The model's published diffusers checkpoint.")
    Path modelDir;

    @Option(names = "--pipeline-dir", description = "Any diffusers text-to-video pipeline (e.g. a shrunk one) in place "
            + "of --model and --model-dir.")
    Path pipelineDir;

    @Option(names = "--bits", required = true, description = "w4a4 or w3a3 (any wNaM).")
    String bits;

    @Option(names = "--out", required = true, description = "Work directory (the packed export quantized.safetensors "
            + "goes here).")
    Path out;

    @Option(names = "--device", defaultValue = "cpu", converter = DeviceConverter.class,
            description = "cpu or cuda:N (default: ${DEFAULT-VALUE}).")
    ai.djl.Device device;

    @Option(names = "--threads", description = "Intra-op threads (default: all cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--data", description = "Encoded training clips (`qvgen data prepare`); rtn needs none.")
    Path data;

    /** {@code --data}, required by whatever trains or calibrates on clips. */
    Path requiredData(String why) {
        if (data == null) {
            throw new BadInputException(why + " needs --data (clips encoded by `qvgen data prepare`)");
        }
        return data;
    }

    /** The registry entry, or null for a bare pipeline directory. */
    ModelSpec spec() {
        if (model == null) {
            return null;
        }
        try {
            return ModelRegistry.get(model);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--model: " + e.getMessage());
        }
    }

    /** The directory to load, checked before anything is loaded. */
    Path directory() {
        if ((modelDir == null) == (pipelineDir == null)) {
            throw new BadInputException("give --model-dir (with --model) or --pipeline-dir");
        }
        try {
            if (modelDir != null) {
                if (model == null) {
                    throw new BadInputException("--model-dir needs --model (or use --pipeline-dir)");
                }
                ModelRegistry.checkDirectory(model, modelDir);
                return modelDir;
            }
            ModelFamilies.of(pipelineDir);
            return pipelineDir;
        } catch (CheckpointException e) {
            throw new BadInputException(e.getMessage());
        }
    }

    /** Whether the model trains with the Wan recipe (else CogVideoX's). */
    boolean wanRecipe(Path dir) {
        return ModelFamilies.of(dir).name().startsWith("wan");
    }

    /** The study's view of the model, with the clips of {@code --data}. */
    ZooStudyModel studyModel(LatentSource clips) {
        Path dir = directory();
        ModelSpec spec = spec();
        String name = spec != null ? spec.name() : dir.getFileName().toString();
        int fps = spec != null ? spec.sampling().fps() : ModelFamilies.of(dir).defaultFps();
        // training never generates: the size only matters to generation
        return new ZooStudyModel(name, dir, clips, fps, 1, 16, 16);
    }
}

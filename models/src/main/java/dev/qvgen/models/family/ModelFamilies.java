package dev.qvgen.models.family;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.models.pipeline.VideoPipeline;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** The registered model families (one line each in {@code META-INF/services}), looked up by name or class. */
public final class ModelFamilies {
    private static final List<ModelFamily> ALL = load();

    private ModelFamilies() {}

    private static List<ModelFamily> load() {
        List<ModelFamily> out = new ArrayList<>();
        ServiceLoader.load(ModelFamily.class, ModelFamily.class.getClassLoader()).forEach(out::add);
        return List.copyOf(out);
    }

    public static List<ModelFamily> all() {
        return ALL;
    }

    public static List<String> pipelineClasses() {
        return ALL.stream().map(ModelFamily::pipelineClass).toList();
    }

    /**
     * The family of a pipeline class.
     *
     * @param where the file the class was read from, for the error line
     * @throws CheckpointException naming the file and the known classes
     */
    public static ModelFamily byPipelineClass(String cls, Path where) {
        for (ModelFamily f : ALL) {
            if (f.pipelineClass().equals(cls)) {
                return f;
            }
        }
        throw new CheckpointException(where + ": pipeline class " + cls + " is not supported (known: "
                + String.join(", ", pipelineClasses()) + ")");
    }

    /** The family of a diffusers pipeline directory, by its {@code model_index.json}. */
    public static ModelFamily of(Path pipelineDir) {
        Path index = pipelineDir.resolve("model_index.json");
        return byPipelineClass(VideoPipeline.className(index), index);
    }

    /** Loads any registered family's pipeline from its diffusers directory. */
    public static VideoPipeline loadPipeline(Path dir, ai.djl.ndarray.NDManager manager) {
        return of(dir).loadPipeline(dir, manager);
    }
}

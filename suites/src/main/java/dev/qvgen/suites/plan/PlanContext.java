package dev.qvgen.suites.plan;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a plan's relative paths point.
 *
 * @param vbenchDir the VBench prompt data (VBench_full_info.json, prompts_per_dimension/,
 *                  dimension_to_folder.json): what a {@code vbench-*} prompt suite without a
 *                  {@code path} reads
 */
public record PlanContext(Path vbenchDir) {
    /** Environment variable naming the VBench prompt data directory. */
    public static final String VBENCH_DIR_ENV = "QVGEN_VBENCH_DIR";
    /** The copy beside the repository (the developers' and CI's shared/ folder). */
    public static final Path DEFAULT_VBENCH_DIR = Path.of("../shared/suites/vbench");

    public PlanContext {
        Objects.requireNonNull(vbenchDir, "vbenchDir");
    }

    /** {@code $QVGEN_VBENCH_DIR} if set, else {@code ../shared/suites/vbench}. */
    public static PlanContext defaults() {
        String env = System.getenv(VBENCH_DIR_ENV);
        return new PlanContext(env == null || env.isBlank() ? DEFAULT_VBENCH_DIR : Path.of(env));
    }
}

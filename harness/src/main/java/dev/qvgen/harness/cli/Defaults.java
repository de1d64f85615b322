package dev.qvgen.harness.cli;

import java.nio.file.Path;

/** Paths of the embedded defaults, relative to the repository root where ./qvgen runs. */
final class Defaults {
    static final Path TOY_MODEL = Path.of("checkpoints/toy-wan");

    private Defaults() {}
}

package dev.qvgen.suites.plan;

import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * What a (shard) run directory records about its plan, so that {@code qvgen merge} can check the
 * shards against the whole plan without being told it: {@code plan.yaml} (the plan, prompt paths
 * made absolute) and {@code shard.txt} ({@code i/n}).
 */
public final class PlanManifest {
    public static final String PLAN_FILE = "plan.yaml";
    public static final String SHARD_FILE = "shard.txt";

    /** A run directory's plan and shard. */
    public record Entry(RunPlan plan, Shard shard, Path dir) {}

    private PlanManifest() {}

    /** Writes {@code plan.yaml} and {@code shard.txt} into {@code runDir} (created if needed), each atomically. */
    public static void write(Path runDir, RunPlan plan, Shard shard) throws IOException {
        Files.createDirectories(runDir);
        DumperOptions o = new DumperOptions();
        o.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        o.setIndent(2);
        String yaml = "# Written by qvgen: the plan this run directory belongs to (" + plan.source() + ").\n"
                + new Yaml(o).dump(plan.toMap());
        atomic(runDir.resolve(PLAN_FILE), yaml);
        atomic(runDir.resolve(SHARD_FILE), shard + "\n");
    }

    /** Reads what {@link #write} wrote; a missing shard.txt means the whole plan (0/1). */
    public static Entry read(Path runDir) {
        Path planFile = runDir.resolve(PLAN_FILE);
        if (!Files.exists(planFile)) {
            throw new PlanException(runDir + ": no " + PLAN_FILE + " (not a run directory written from a plan;"
                    + " pass --plan)");
        }
        RunPlan plan = Plans.read(planFile);
        Shard shard = Shard.ALL;
        Path shardFile = runDir.resolve(SHARD_FILE);
        try {
            shard = Shard.parse(Files.readString(shardFile, StandardCharsets.UTF_8).strip());
        } catch (NoSuchFileException e) {
            // a run of the whole plan
        } catch (IOException e) {
            throw new PlanException(shardFile + ": cannot read (" + e.getMessage() + ")", e);
        } catch (IllegalArgumentException e) {
            throw new PlanException(shardFile + ": " + e.getMessage(), e);
        }
        return new Entry(plan, shard, runDir);
    }

    private static void atomic(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw new IOException(file + ": cannot write (" + e.getMessage() + ")", e);
        }
    }
}

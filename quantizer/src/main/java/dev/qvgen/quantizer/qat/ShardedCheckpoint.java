package dev.qvgen.quantizer.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.qvgen.layers.dist.ProcessGroup;
import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.io.SafeTensorsWriter;
import dev.qvgen.layers.nn.Module;
import dev.qvgen.layers.train.ShardedOptimizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The checkpoint of a data-parallel QAT run. The trained tensors are the same on every rank and
 * rank 0 writes them once, in {@code state.safetensors} as a single-rank run does, but without
 * moments; its metadata names the step and the world size W that wrote it ({@value #SHARDS}).
 * Each rank writes the moments it owns to {@code state.step-N.shard-r-of-W.safetensors}. The
 * shards go first, then (after a barrier) rank 0 replaces {@code state.safetensors}: that rename
 * commits the step, and the step in the shards' names keeps a crash in between from mixing steps.
 * A resume on any world size reads {@code state.safetensors} and, for the moments its new
 * partition gives this rank, every shard of that step.
 *
 * <p>With weight sharding ({@link dev.qvgen.layers.train.WeightShards}) no rank holds the trained
 * tensors all at once, so each rank's shard also holds the trained tensors it owns (by their
 * checkpoint names), and {@code state.safetensors} holds the metadata (step, world size
 * {@value #WEIGHT_SHARDS}, Φ's ranks) and any tensor that is not sharded. A resume, sharded or not,
 * on any world size, reads each tensor it needs from whichever shard has it.
 */
final class ShardedCheckpoint {
    static final String SHARDS = "adamw.shards";
    /** Metadata of a checkpoint whose trained tensors are in the shards: how many there are. */
    static final String WEIGHT_SHARDS = "weights.shards";

    private ShardedCheckpoint() {}

    static Path shard(Path state, int step, int rank, int world) {
        return state.resolveSibling(String.format("state.step-%d.shard-%d-of-%d.safetensors", step, rank, world));
    }

    static void save(Path state, Module student, QatLayers layers, ShardedOptimizer opt, Map<String, String> meta,
            int step) throws IOException {
        save(state, student, layers, opt, null, meta, step);
    }

    /** @param weights the weight shards, or null when every rank holds every trained tensor */
    static void save(Path state, Module student, QatLayers layers, ShardedOptimizer opt,
            dev.qvgen.layers.train.WeightShards weights, Map<String, String> meta, int step) throws IOException {
        ProcessGroup g = opt.processGroup();
        Map<String, String> shardMeta = new LinkedHashMap<>(meta);
        Map<String, NDArray> shardTensors = new LinkedHashMap<>();
        Map<String, NDArray> unsharded = new LinkedHashMap<>();
        Map<String, String> headMeta = new LinkedHashMap<>(meta);
        if (weights != null) {
            QatCheckpoint.tensors(student, layers, headMeta).forEach((name, a) -> {
                if (!weights.shards(a)) {
                    unsharded.put(name, a);
                } else if (weights.owns(a)) {
                    shardTensors.put(name, a);
                }
            });
        }
        shardTensors.putAll(opt.state());
        SafeTensorsWriter.write(shard(state, step, g.rank(), g.worldSize()), shardTensors, shardMeta);
        g.barrier();
        if (g.rank() == 0) {
            headMeta.put(SHARDS, String.valueOf(g.worldSize()));
            if (weights != null) {
                headMeta.put(WEIGHT_SHARDS, String.valueOf(g.worldSize()));
                SafeTensorsWriter.write(state, unsharded, headMeta);
            } else {
                QatCheckpoint.save(state, student, layers, Map.of(), headMeta);
            }
        }
        g.barrier();
        // the step is committed: older shards of this rank are garbage now
        String mine = String.format(".shard-%d-of-%d.safetensors", g.rank(), g.worldSize());
        try (Stream<Path> files = Files.list(state.getParent())) {
            for (Path p : files.toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith("state.step-") && n.endsWith(mine) && !p.equals(shard(state, step, g.rank(),
                        g.worldSize()))) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * Opens the files a resume reads the trained tensors from: {@code state} itself, then, when its
     * tensors were written to the shards ({@value #WEIGHT_SHARDS}), every shard of its step.
     */
    static List<SafeTensorsFile> openForTensors(Path state) {
        List<SafeTensorsFile> files = new ArrayList<>();
        files.add(SafeTensorsFile.open(state));
        try {
            Map<String, String> meta = files.get(0).metadata();
            String w = meta.get(WEIGHT_SHARDS);
            if (w != null) {
                int world;
                int step;
                try {
                    world = Integer.parseInt(w);
                    step = Integer.parseInt(meta.get("step"));
                } catch (NumberFormatException e) {
                    throw new CheckpointException(state + ": metadata " + WEIGHT_SHARDS + " '" + w + "' or step '"
                            + meta.get("step") + "' is not a number");
                }
                for (int r = 0; r < world; r++) {
                    Path p = shard(state, step, r, world);
                    if (!Files.isRegularFile(p)) {
                        throw new CheckpointException(state + " keeps its trained tensors in " + world
                                + " shards of step " + step + ", but " + p.getFileName() + " is missing");
                    }
                    files.add(SafeTensorsFile.open(p));
                }
            }
            return files;
        } catch (RuntimeException e) {
            files.forEach(SafeTensorsFile::close);
            throw e;
        }
    }

    /**
     * The moments {@code wanted} (this rank's, under its partition) from the shards the checkpoint
     * names in {@code meta}; empty when the checkpoint holds its moments itself (one rank wrote it).
     */
    static Map<String, NDArray> loadMoments(Path state, Map<String, String> meta, java.util.Set<String> wanted,
            NDManager manager) {
        String w = meta.get(SHARDS);
        if (w == null) {
            return Map.of();
        }
        int world = Integer.parseInt(w);
        int step = Integer.parseInt(meta.get("step"));
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (int r = 0; r < world; r++) {
            Path p = shard(state, step, r, world);
            if (!Files.isRegularFile(p)) {
                throw new CheckpointException(state + " was written by " + world + " ranks at step " + step
                        + ", but its shard " + p.getFileName() + " is missing");
            }
            try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
                if (!String.valueOf(step).equals(f.metadata().get("step"))) {
                    throw new CheckpointException(f.describe() + ": step " + f.metadata().get("step") + ", expected "
                            + step);
                }
                for (String n : f.names()) {
                    if (wanted.contains(n)) {
                        out.put(n, f.load(n, manager));
                    }
                }
            }
        }
        return out;
    }
}

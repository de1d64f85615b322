package dev.qvgen.harness.study;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.harness.Progress;
import dev.qvgen.layers.nn.Precision;
import dev.qvgen.models.family.DenoisingTransformer;
import dev.qvgen.quantizer.qat.QatTrainer;
import dev.qvgen.quantizer.qat.TeacherCache;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs the full-precision teacher once over exactly the micro-batches a QAT run of {@code recipe}
 * draws for its steps (the same stream, seed and samples per forward: {@link QatArm#trainingBatch})
 * and writes its outputs to a {@link TeacherCache}, shard by shard, so that QAT with the cache
 * never loads the teacher. The teacher is the one QAT would run: the transformer alone, cast to
 * bfloat16 in mixed precision, on the same device, with the CPU pinned to QAT's thread count.
 * Resumable: finished shards are kept, the first unfinished one and everything after it is computed.
 */
public final class TeacherPrecompute {
    private final StudyModel model;
    private final QatRecipe s;
    private final Device device;
    private final boolean mixed;
    private final PrintStream log;

    public TeacherPrecompute(StudyModel model, QatRecipe recipe, Device device, boolean mixed, PrintStream log) {
        this.model = model;
        this.s = recipe;
        this.device = device;
        this.mixed = mixed;
        this.log = log;
    }

    /**
     * Fills {@code dir} with the outputs of micro-batches {@code 0 .. steps * gradAccum - 1}.
     *
     * @param shardSteps steps per shard for a new cache (an existing cache keeps its own)
     */
    public void run(Path dir, Map<String, String> identity, int shardSteps) throws IOException {
        int total = Math.multiplyExact(s.steps(), s.gradAccum());
        TeacherCache.Writer w = TeacherCache.Writer.open(dir, identity,
                TeacherCacheIdentity.about(model.name(), device),
                Math.multiplyExact(shardSteps, s.gradAccum()));
        int per = w.microBatchesPerShard();
        int shards = (total + per - 1) / per;
        // finished shards are read whole against their SHA-256: a damaged one is computed again
        List<Integer> todo = new ArrayList<>();
        for (int j = 0; j < shards; j++) {
            if (!w.done(j, j * per, Math.min(per, total - j * per))) {
                todo.add(j);
            }
        }
        log.printf(Locale.ROOT, "[qat-teacher] %d steps x %d micro-batches of %d samples: %d micro-batches in %d "
                + "shards of %d; %d shards present and checked%n", s.steps(), s.gradAccum(), s.batch(), total, shards,
                per, shards - todo.size());
        if (todo.isEmpty()) {
            return;
        }
        ai.djl.engine.Engine.getInstance();
        int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        if (!device.isGpu()) {
            // the same reductions as QAT's teacher forward, which runs on QatArm.CPU_THREADS
            ai.djl.pytorch.jni.JniUtils.setNumThreads(QatArm.CPU_THREADS);
        }
        try (NDManager manager = NDManager.newBaseManager(device);
                StudyModel.Instance teacher = model.loadForTraining(manager)) {
            DenoisingTransformer tt = teacher.transformer();
            if (mixed) {
                Precision.cast(tt.module(), DataType.BFLOAT16, device);
            }
            StudyModel.Batches data = model.batches(teacher);
            QatTrainer.Task task = new DistillationTask(null, tt, mixed, false) {
                @Override
                public QatTrainer.Batch batch(int index, NDManager mgr) {
                    return QatArm.trainingBatch(data, s, index, mgr);
                }
            };
            int left = 0;
            for (int j : todo) {
                left += Math.min(per, total - j * per);
            }
            Progress progress = new Progress("qat-teacher", total, log);
            progress.skip(total - left);
            boolean diskChecked = false;
            for (int j : todo) {
                int first = j * per;
                int count = Math.min(per, total - first);
                List<TeacherCache.Output> outs = new ArrayList<>(count);
                for (int i = first; i < first + count; i++) {
                    try (NDScope scope = new NDScope()) {
                        outs.add(TeacherCache.Output.of(task.teacher(task.batch(i, manager))));
                    }
                    if (!diskChecked) {
                        requireSpace(dir, outs.get(0).bytes() * left);
                        diskChecked = true;
                    }
                    progress.step("shard " + j);
                }
                w.write(j, first, outs);
            }
        } finally {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
        }
        log.printf(Locale.ROOT, "[qat-teacher] wrote %s (%d micro-batches)%n", dir.resolve(TeacherCache.MANIFEST),
                total);
    }

    /** Refuses, before the first shard, a disk that cannot hold what is left to write. */
    private static void requireSpace(Path dir, long bytes) throws IOException {
        long free = Files.getFileStore(dir).getUsableSpace();
        if (bytes > free) {
            throw new BadInputException(String.format(Locale.ROOT, "%s: the teacher cache needs %.2f GB more, the "
                    + "disk has %.2f GB free", dir, bytes / 1e9, free / 1e9));
        }
    }
}

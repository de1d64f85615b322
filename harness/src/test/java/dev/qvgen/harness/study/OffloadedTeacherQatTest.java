package dev.qvgen.harness.study;

import static dev.qvgen.harness.study.TeacherCacheQatTest.assertBitIdentical;
import static dev.qvgen.harness.study.TeacherCacheQatTest.lossColumns;
import static dev.qvgen.harness.study.TeacherCacheQatTest.ok;
import static dev.qvgen.harness.study.TeacherCacheQatTest.qat;
import static dev.qvgen.harness.study.TeacherCacheQatTest.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.harness.CliRun;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * {@code qvgen qat --offload-teacher} (the teacher's blocks copied to the device one at a time) on
 * the tiny golden pipelines, QVGen W4A4 on the CPU, 3 steps of 2 micro-batches with a checkpoint
 * after step 2: the same checkpoint, export, losses and gradient norms as QAT with the resident
 * teacher, bit for bit; with --teacher-cache it is refused with one line and exit 2.
 */
class OffloadedTeacherQatTest {
    static final Path GOLDEN = TeacherCacheQatTest.GOLDEN;

    @TempDir
    Path tmp;

    private Path prepare(Path pipeline, String name) throws Exception {
        TeacherCacheQatTest clips = new TeacherCacheQatTest();
        clips.tmp = tmp;
        return clips.prepare(pipeline, name);
    }

    @Test
    void wanOffloadedTeacherTrainsBitIdenticallyAndRefusesACache() throws Exception {
        Path pipeline = GOLDEN.resolve("wan2.1/pipeline");
        Path data = prepare(pipeline, "wan");
        Path live = tmp.resolve("live");
        ok(CliRun.of(qat(pipeline, data, live)));
        Path offloaded = tmp.resolve("offloaded");
        CliRun run = CliRun.of(qat(pipeline, data, offloaded, "--offload-teacher"));
        ok(run);
        assertTrue(run.out().contains("teacher offloaded: "), run.out());
        assertBitIdentical(live.resolve("state.safetensors"), offloaded.resolve("state.safetensors"));
        assertBitIdentical(live.resolve(QatArm.EXPORT), offloaded.resolve(QatArm.EXPORT));
        assertEquals(lossColumns(live), lossColumns(offloaded));

        // with a teacher cache there is no teacher to offload: one line, nothing loaded or written
        Path x = tmp.resolve("x");
        refused(CliRun.of(qat(pipeline, data, x, "--offload-teacher", "--teacher-cache", tmp.resolve("cache")
                .toString())), x, "--offload-teacher moves the teacher's blocks to the device one at a time, but "
                + "--teacher-cache runs no teacher at all");
    }

    /** Mixed precision (bf16 teacher, as on a GPU): the bfloat16 teacher moves as bfloat16. */
    @Test
    void cogVideoXBf16OffloadedTeacherTrainsBitIdentically() throws Exception {
        Path pipeline = GOLDEN.resolve("cogvideox-2b/pipeline");
        Path data = prepare(pipeline, "cog");
        Path live = tmp.resolve("live");
        ok(CliRun.of(qat(pipeline, data, live, "--precision", "bf16")));
        Path offloaded = tmp.resolve("offloaded");
        CliRun run = CliRun.of(qat(pipeline, data, offloaded, "--precision", "bf16", "--offload-teacher"));
        ok(run);
        assertTrue(run.out().contains("teacher offloaded: "), run.out());
        assertBitIdentical(live.resolve("state.safetensors"), offloaded.resolve("state.safetensors"));
        assertBitIdentical(live.resolve(QatArm.EXPORT), offloaded.resolve(QatArm.EXPORT));
        assertEquals(lossColumns(live), lossColumns(offloaded));
    }
}

package dev.qvgen.harness.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.pytorch.jni.JniUtils;

import dev.qvgen.harness.toy.ToyStudyModel;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.suites.toy.ToyWorld;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** QAT on the CPU runs on a fixed number of threads, so the core count does not change its result. */
class QatThreadsTest {
    @TempDir
    Path tmp;

    private List<String> train(Path dir, int threads) throws IOException {
        JniUtils.setNumThreads(threads);
        QatRecipe r = QatRecipe.toy().withSteps(20, 4);
        new QatArm(new ToyStudyModel(ToyWorld.defaults(), Path.of("checkpoints/toy-wan"), 1), r,
                new PrintStream(PrintStream.nullOutputStream())).trainAndExport("lsq", QuantSpec.W3A3, dir);
        assertEquals(threads, JniUtils.getNumThreads(), "the caller's thread count is restored");
        // step, loss, gradient norm: what the training computed (not its time or memory)
        return Files.readAllLines(dir.resolve("log.csv")).stream()
                .map(l -> String.join(",", List.of(l.split(",")).subList(0, 3))).toList();
    }

    @Test
    void oneAndThreeThreadsTrainTheSameModel() throws IOException {
        ai.djl.engine.Engine.getInstance();
        int before = JniUtils.getNumThreads();
        try {
            List<String> one = train(tmp.resolve("one"), 1);
            List<String> three = train(tmp.resolve("three"), 3);
            assertEquals(one, three);
            assertArrayEquals(Files.readAllBytes(tmp.resolve("one").resolve(QatArm.EXPORT)),
                    Files.readAllBytes(tmp.resolve("three").resolve(QatArm.EXPORT)));
        } finally {
            JniUtils.setNumThreads(before);
        }
    }
}

package dev.qvgen.quantizer.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.nn.EngineOwned;
import dev.qvgen.layers.train.AdamW;
import dev.qvgen.quantizer.LayerSelection;
import dev.qvgen.quantizer.QuantSpec;
import dev.qvgen.quantizer.TinyNet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Issue #16's crash class: no trainable QAT state may live in a Java direct buffer, which the
 * garbage collector frees once its one Java handle lets go, while autograd still reads it.
 * "Java-owned" is read from DJL's own record of it, PtNDArray's {@code dataRef} (the buffer it
 * keeps alive for a tensor that wraps Java memory).
 */
class EngineOwnedStateTest {
    static boolean javaOwned(NDArray a) throws ReflectiveOperationException {
        Field f = a.getClass().getDeclaredField("dataRef");
        f.setAccessible(true);
        return f.get(a) != null;
    }

    @Test
    void djlWrapsJavaMemoryThatAdoptCopiesOut() throws ReflectiveOperationException {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray made = m.create(new float[] {1, 2, 3});
            // what this fix relies on: DJL 0.36 wraps the Java buffer, and set(Buffer) swaps one in
            assertEquals(true, javaOwned(made));
            NDArray engine = m.zeros(new Shape(3));
            engine.set(made.toByteBuffer());
            assertEquals(true, javaOwned(engine), "set(Buffer) makes the storage Java-owned");

            NDArray adopted = EngineOwned.adopt(made);
            assertEquals(false, javaOwned(adopted));
            assertArrayEquals(new float[] {1, 2, 3}, adopted.toFloatArray());
            assertEquals(true, made.isReleased(), "the Java-backed original is closed");

            NDArray target = m.zeros(new Shape(3));
            try (NDArray src = m.create(new float[] {4, 5, 6})) {
                EngineOwned.copyInto(target, src);
            }
            assertEquals(false, javaOwned(target), "copyInto keeps the engine's storage");
            assertArrayEquals(new float[] {4, 5, 6}, target.toFloatArray());
            NDArray scalar = m.zeros(new Shape());
            EngineOwned.copyInto(scalar, m.create(7f));
            assertEquals(7f, scalar.getFloat());
            assertThrows(IllegalArgumentException.class, () -> EngineOwned.copyInto(target, m.zeros(new Shape(2))));
        }
    }

    @Test
    void qatStateIsEngineOwnedWhenInstalledAndAfterAResume(@TempDir Path tmp) throws Exception {
        for (int[] ranks : new int[][] {{4, 0}, {0, 0}, {0, 2}}) { // QVGen (Φ), LSQ, EfficientDM (LoRA)
            Path dir = tmp.resolve("phi" + ranks[0] + "-lora" + ranks[1]);
            QatTrainer.Settings s = new QatTrainer.Settings(6, 2, 1, QatLayers.LearningRates.official(), 1.0,
                    ranks[0] > 0 ? new RankDecay(100, true) : null, QatTrainer.Loss.DISTILLATION, 2);
            // a first run dies after step 3 (checkpoint at 2); the second resumes from it
            assertThrows(IllegalStateException.class, () -> train(dir, ranks, s, 3, null));
            List<String> javaBacked = new ArrayList<>();
            train(dir, ranks, s, -1, javaBacked);
            assertEquals(List.of(), javaBacked, "Java-owned trainable arrays for Φ " + ranks[0] + ", LoRA " + ranks[1]);
        }
    }

    /**
     * Trains TinyNet (whose parameters are engine-owned, as the model loaders make them); records the
     * names of Java-owned trainable arrays at install and once the loop has resumed.
     */
    private static void train(Path dir, int[] ranks, QatTrainer.Settings s, int dieAfter, List<String> javaBacked)
            throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            TinyNet teacher = new TinyNet(m, 1);
            TinyNet student = new TinyNet(m, 1);
            QatLayers layers = QatLayers.install(student, QuantSpec.W3A3, LayerSelection.insideBlocks(java.util.List.of("blocks.")),
                    new QatLayers.Options(ranks[0], ranks[1], 4), m);
            if (javaBacked != null) {
                collect("install", layers, student, javaBacked);
            }
            new QatTrainer(s).train(student, layers, new QatTrainerTest.Task(teacher, student), m, dir,
                    new QatTrainer.StepListener() {
                        @Override
                        public void onStep(int step, double loss, double gradNorm) {
                            if (step == dieAfter) {
                                throw new IllegalStateException("killed");
                            }
                        }

                        @Override
                        public void onResume(int step) {
                            assertEquals(2, step);
                            if (javaBacked != null) {
                                collect("resume", layers, student, javaBacked);
                            }
                        }
                    });
        }
    }

    private static void collect(String when, QatLayers layers, TinyNet student, List<String> out) {
        List<AdamW.Group> groups = layers.groups(student, QatLayers.LearningRates.official());
        for (AdamW.Group g : groups) {
            for (int i = 0; i < g.arrays().size(); i++) {
                try {
                    if (javaOwned(g.arrays().get(i))) {
                        out.add(when + ": " + g.name() + "[" + i + "]");
                    }
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
            }
        }
        layers.kernels().forEach((name, k) -> {
            if (k.phi() != null) {
                try {
                    if (javaOwned(k.phi().arrays()[2])) {
                        out.add(when + ": " + name + " alpha");
                    }
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
            }
        });
    }
}

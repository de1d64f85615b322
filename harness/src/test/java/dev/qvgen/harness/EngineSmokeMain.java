package dev.qvgen.harness;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** Started in a fresh JVM by {@link OfflineEngineTest}: starts DJL and runs one matmul. */
public final class EngineSmokeMain {
    private EngineSmokeMain() {}

    public static void main(String[] args) {
        Djl.configure(1);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {1, 2, 3, 4}, new ai.djl.ndarray.types.Shape(2, 2));
            System.out.println("engine=" + Engine.getInstance().getEngineName() + " version="
                    + Engine.getInstance().getVersion() + " sum=" + a.matMul(a).sum().getFloat());
        }
    }
}

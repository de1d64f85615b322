package dev.qvgen.quantizer.qat;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import org.junit.jupiter.api.Test;

/** The tensor-op MSE search (large layers) picks the host loop's ranges. */
class LsqPlusEngineSearchTest {
    @Test
    void engineSearchMatchesHostSearch() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(3);
            NDArray w = m.randomNormal(new Shape(48, 320)).mul(0.05f);
            for (int bits : new int[] {3, 4}) {
                LsqPlusWeightQuantizer host = LsqPlusWeightQuantizer.initialise(w, bits, m);
                LsqPlusWeightQuantizer engine = LsqPlusWeightQuantizer.initialiseOnEngine(w, bits, m);
                float[] hs = host.scale().toFloatArray();
                float[] es = engine.scale().toFloatArray();
                int same = 0;
                for (int i = 0; i < hs.length; i++) {
                    if (Math.abs(hs[i] - es[i]) <= 1e-6f * Math.abs(hs[i])) {
                        same++;
                    }
                }
                // float32 vs float64 error sums may flip a near-tie in a row or two, no more
                assertTrue(same >= hs.length - 2, bits + " bits: " + same + " of " + hs.length + " rows agree");
                double mseHost = w.sub(host.forward(w)).square().mean().getFloat();
                double mseEngine = w.sub(engine.forward(w)).square().mean().getFloat();
                assertTrue(Math.abs(mseHost - mseEngine) <= 1e-3 * mseHost, mseHost + " vs " + mseEngine);
            }
        }
    }
}

package dev.qvgen.quantizer.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Bugs planted on purpose, one at a time, so a test can check that the regression gate catches
 * them (GatePlantedRegressionTest). Nothing is planted unless a test calls {@link #plant}; the
 * quantizers ask {@link #active} at the few places a fault would live.
 */
public enum PlantedFault {
    /** No fault: the code as written. */
    NONE,
    /** One in a hundred weight codes rounded one level up (before the clamp), in training and export alike. */
    OFF_BY_ONE_CODES,
    /** The learnt activation clip range halved, in training and in the deployed model alike. */
    HALF_ACTIVATION_CLIP,
    /** Rank decay switched off: Φ keeps its full rank until training ends and is then dropped at once. */
    NO_RANK_DECAY;

    private static volatile PlantedFault active = NONE;

    /** The fault in force (NONE outside a test that plants one). */
    public static PlantedFault active() {
        return active;
    }

    /** Plants {@code fault} until the returned scope is closed. */
    public static Scope plant(PlantedFault fault) {
        PlantedFault previous = active;
        active = fault;
        return () -> active = previous;
    }

    /** Ends a planted fault. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** {@code codes} with 1 added at every 100th element (flat index), when OFF_BY_ONE_CODES is planted. */
    static NDArray offByOne(NDArray codes) {
        if (active != OFF_BY_ONE_CODES) {
            return codes;
        }
        int n = (int) codes.getShape().size();
        float[] bump = new float[n];
        for (int i = 0; i < n; i += 100) {
            bump[i] = 1f;
        }
        NDArray b = codes.getManager().create(bump, codes.getShape()).toType(DataType.FLOAT32, false)
                .toDevice(codes.getDevice(), false);
        return codes.add(b);
    }

    /** The factor the activation clip range is multiplied by: 0.5 when HALF_ACTIVATION_CLIP is planted. */
    static float activationClipFactor() {
        return active == HALF_ACTIVATION_CLIP ? 0.5f : 1f;
    }
}

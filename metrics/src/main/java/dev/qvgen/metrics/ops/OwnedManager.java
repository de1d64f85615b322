package dev.qvgen.metrics.ops;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.util.function.Function;

/** Metrics that hold a model's arrays in a base manager of their own, closed with the metric. */
public final class OwnedManager {
    private OwnedManager() {}

    /**
     * Runs {@code build} with a new base manager that the result owns; if it throws, the manager
     * (and whatever was loaded into it) is closed before the exception propagates.
     */
    public static <T> T build(Device device, Function<NDManager, T> build) {
        NDManager manager = NDManager.newBaseManager(device);
        try {
            return build.apply(manager);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }
}

package dev.qvgen.models.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * What a denoising loop keeps from one step to the next (the new latents and the scheduler's
 * state), when every step runs in its own {@link NDScope}: the kept arrays are taken out of the
 * step's scope, and arrays kept by the previous step that are no longer needed are closed, so a
 * 50-step generation holds a few latent-sized tensors rather than hundreds.
 */
public final class StepArrays {
    private final NDArray input;
    private Set<NDArray> live = Collections.newSetFromMap(new IdentityHashMap<>());

    /** @param input the caller's initial latents, never closed here */
    public StepArrays(NDArray input) {
        this.input = input;
    }

    /** Call inside the step's scope, before it closes. */
    public void keep(NDArray latents, Collection<NDArray> state) {
        Set<NDArray> now = Collections.newSetFromMap(new IdentityHashMap<>());
        now.add(latents);
        now.addAll(state);
        for (NDArray a : now) {
            NDScope.unregister(a);
        }
        for (NDArray a : live) {
            if (!now.contains(a) && a != input) {
                a.close();
            }
        }
        live = now;
    }

    /** Closes everything kept except {@code result} (the final latents, which the caller now owns). */
    public void closeAllBut(NDArray result) {
        for (NDArray a : live) {
            if (a != input && a != result) {
                a.close();
            }
        }
        live.clear();
    }

    /** Closes everything kept (call after the last use of the final latents). */
    public void closeAll() {
        for (NDArray a : live) {
            if (a != input) {
                a.close();
            }
        }
        live.clear();
    }
}

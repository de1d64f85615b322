package dev.qvgen.models.vae;

import dev.qvgen.layers.nn.Module;

/**
 * A placeholder for a weightless layer inside a torch {@code nn.Sequential} (an upsample or a
 * zero pad), so that the next layer keeps its published index ("resample.1.weight").
 */
public final class Parameterless extends Module {
    private final String what;

    public Parameterless(String what) {
        this.what = what;
    }

    @Override
    public String toString() {
        return what;
    }
}

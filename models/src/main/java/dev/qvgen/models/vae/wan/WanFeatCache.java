package dev.qvgen.models.vae.wan;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' {@code feat_cache}/{@code feat_idx}: one slot per causal convolution, visited in the
 * same order on every chunk, holding the last {@link #CACHE_T} input frames of that convolution
 * from the previous chunk. A temporal upsampler first stores the marker {@link #REP}
 * (diffusers' "Rep") and skips its time convolution on the first chunk.
 *
 * <p>Stored arrays are taken out of the enclosing {@link NDScope} (chunks run inside scopes that
 * free everything else) and freed when replaced or when the cache is closed.
 */
final class WanFeatCache implements AutoCloseable {
    static final int CACHE_T = 2;
    static final Object REP = new Object();

    private final List<Object> slots = new ArrayList<>();
    private int idx;

    /** Starts a new chunk: slots are visited from the first again. */
    void rewind() {
        idx = 0;
    }

    /** The current slot's content: null (never visited), {@link #REP} or an array. */
    Object current() {
        return idx < slots.size() ? slots.get(idx) : null;
    }

    NDArray currentArray() {
        Object o = current();
        return o instanceof NDArray a ? a : null;
    }

    /** Stores {@code value} in the current slot (freeing what it held) and moves to the next. */
    void advance(Object value) {
        while (slots.size() <= idx) {
            slots.add(null);
        }
        Object old = slots.get(idx);
        if (old instanceof NDArray a && old != value) {
            a.close();
        }
        if (value instanceof NDArray a) {
            NDScope.unregister(a);
        }
        slots.set(idx, value);
        idx++;
    }

    /** The arrays the cache holds now (tests count what a chunk leaves alive). */
    List<NDArray> arrays() {
        List<NDArray> out = new ArrayList<>();
        for (Object o : slots) {
            if (o instanceof NDArray a) {
                out.add(a);
            }
        }
        return out;
    }

    @Override
    public void close() {
        for (Object o : slots) {
            if (o instanceof NDArray a) {
                a.close();
            }
        }
        slots.clear();
        idx = 0;
    }
}

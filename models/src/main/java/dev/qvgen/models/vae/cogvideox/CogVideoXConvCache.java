package dev.qvgen.models.vae.cogvideox;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * diffusers' nested {@code conv_cache} dicts, flattened: every causal convolution is called once
 * per forward, so it can look up the frames it saved on the previous frame batch by its own
 * identity. Stored arrays leave the batch's {@link NDScope} and are freed when replaced or when
 * the cache is closed.
 */
final class CogVideoXConvCache implements AutoCloseable {
    private final Map<Object, NDArray> frames = new IdentityHashMap<>();

    NDArray get(Object conv) {
        return frames.get(conv);
    }

    void put(Object conv, NDArray last) {
        NDScope.unregister(last);
        NDArray old = frames.put(conv, last);
        if (old != null && old != last) {
            old.close();
        }
    }

    @Override
    public void close() {
        frames.values().forEach(NDArray::close);
        frames.clear();
    }
}

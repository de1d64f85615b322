package dev.qvgen.quantizer.deploy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;

import java.util.function.Supplier;

/**
 * The activation codes of the last input that a group of {@link LowBitLinearKernel}s quantized, so
 * that linears reading the same array quantize it once: q, k and v of self-attention (and k, v of
 * cross-attention) take one input, and the per-token quantizer costs about as much as one of their
 * FP8 GEMMs (0.156 against 0.173 ms at 32,760 x 1536 on an H100, docs/PERFORMANCE.md).
 *
 * <p>The key is the input array itself (the Java object, alive and not released) with the code
 * width and type: the models hand the same array to the sibling projections, and no layer writes
 * into a linear's input in place, so the same object means the same values. One entry is enough
 * for the siblings, which run one after the other; the entry's arrays are taken out of every
 * {@link NDScope} (the projections run in scopes of their own, which would free them between q and
 * k) and closed here when the next input replaces them or {@link #clear} runs, so the cache holds at
 * most one input's codes (1 byte per element) beyond a forward's own arrays.
 *
 * <p>One forward at a time per group: the codes handed out are closed by the next call with another
 * input, so two threads running forwards through kernels of one group would close each other's
 * codes (one group per transformer instance, as the profiler and {@code generate} install it).
 */
public final class SharedActivationCodes {
    /** The system property that turns sharing off for an A/B ({@code -D...=false}); on by default. */
    public static final String PROPERTY = "qvgen.lowbit.shareActivationCodes";

    private NDArray input;
    private int bits;
    private boolean int8;
    private NDList codes;
    private long quantized;
    private long reused;

    /** Whether {@link #PROPERTY} leaves sharing on: the one place that reads it (profile and its notes). */
    public static boolean enabled() {
        return Boolean.parseBoolean(System.getProperty(PROPERTY, "true"));
    }

    /** A new group when {@link #enabled}, else null (every kernel quantizes its own input). */
    public static SharedActivationCodes groupIfEnabled() {
        return enabled() ? new SharedActivationCodes() : null;
    }

    /**
     * The codes of {@code x} at {@code bits} ({@code int8} codes or FP8), made by {@code quantize}
     * unless the last call had the same array and setting. The result belongs to this cache: the
     * caller uses it within its own call and does not close it.
     */
    public synchronized NDList codes(NDArray x, int bits, boolean int8, Supplier<NDList> quantize) {
        if (x == input && bits == this.bits && int8 == this.int8 && alive(x) && alive(codes)) {
            reused++;
            return codes;
        }
        clear();
        NDList made = quantize.get();
        for (NDArray a : made) {
            NDScope.unregister(a);
        }
        input = x;
        this.bits = bits;
        this.int8 = int8;
        codes = made;
        quantized++;
        return made;
    }

    /** Closes the held codes (the next call quantizes again). */
    public synchronized void clear() {
        if (codes != null) {
            codes.forEach(NDArray::close);
        }
        codes = null;
        input = null;
    }

    /** Inputs quantized so far. */
    public synchronized long quantized() {
        return quantized;
    }

    /** Calls answered with the held codes so far. */
    public synchronized long reused() {
        return reused;
    }

    private static boolean alive(NDArray a) {
        return a != null && !a.isReleased();
    }

    private static boolean alive(NDList l) {
        if (l == null) {
            return false;
        }
        for (NDArray a : l) {
            if (a.isReleased()) {
                return false;
            }
        }
        return true;
    }
}

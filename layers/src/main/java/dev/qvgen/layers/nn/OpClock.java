package dev.qvgen.layers.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Where a forward's time goes by op class (linear layers, attention, activation quantization),
 * for a profiling pass of {@code qvgen profile}. While a clock is running, each timed op waits for
 * the device before it starts and after it ends (a read-back of one value), so the device's
 * asynchronous queue cannot shift one op's time onto the next; that drains the pipeline at every
 * op, so the pass is slower than a real forward and is never one of the timed runs. Times are
 * exclusive: an op timed inside another (the quantizer inside a linear layer) is taken off the
 * enclosing one. Off, the default, an op costs one volatile read.
 */
public final class OpClock {
    public enum Kind { LINEAR, ATTENTION, QUANTIZATION }

    private static volatile OpClock running;

    private final long[] nanos = new long[Kind.values().length];
    /** Device time of the ops nested in each open op, innermost last. */
    private final Deque<long[]> nested = new ArrayDeque<>();
    private long total;

    private OpClock() {}

    /** Exclusive seconds per op class and the whole pass's seconds. */
    public record Shares(double linear, double attention, double quantization, double total) {
        public double rest() {
            return Math.max(0, total - linear - attention - quantization);
        }

        /** "linear 41%, attention 37%, quantization 12%, rest 10%". */
        public String describe() {
            return String.format(java.util.Locale.ROOT, "linear %.0f%%, attention %.0f%%, quantization %.0f%%, rest %.0f%%",
                    100 * linear / total, 100 * attention / total, 100 * quantization / total, 100 * rest() / total);
        }
    }

    /**
     * Runs {@code pass} (one forward that ends by returning its output) with a clock running and
     * returns the shares. Not re-entrant; one pass at a time per JVM.
     */
    public static synchronized Shares measure(Supplier<NDArray> pass) {
        OpClock c = new OpClock();
        running = c;
        try {
            long t0 = System.nanoTime();
            NDArray out = pass.get();
            sync(out);
            c.total = System.nanoTime() - t0;
        } finally {
            running = null;
        }
        return new Shares(c.nanos[Kind.LINEAR.ordinal()] / 1e9, c.nanos[Kind.ATTENTION.ordinal()] / 1e9,
                c.nanos[Kind.QUANTIZATION.ordinal()] / 1e9, c.total / 1e9);
    }

    /** {@code op()}, timed as {@code kind} when a clock is running. */
    public static NDArray time(Kind kind, NDArray input, Supplier<NDArray> op) {
        return time(kind, input, op, Function.identity());
    }

    /** As above, for an op whose result holds its output ({@code output} picks an array to wait on). */
    public static <T> T time(Kind kind, NDArray input, Supplier<T> op, Function<T, NDArray> output) {
        OpClock c = running;
        if (c == null) {
            return op.get();
        }
        sync(input);
        c.nested.push(new long[1]);
        long t0 = System.nanoTime();
        T result;
        try {
            result = op.get();
            sync(output.apply(result));
        } finally {
            long dt = System.nanoTime() - t0;
            long inner = c.nested.pop()[0];
            c.nanos[kind.ordinal()] += dt - inner;
            if (!c.nested.isEmpty()) {
                c.nested.peek()[0] += dt;
            }
        }
        return result;
    }

    /** Waits for the device's queued work: a CUDA stream sync by reading one value back. */
    private static void sync(NDArray a) {
        if (a.getDevice().isGpu()) {
            // flatten, get and toType may hand back their receiver: close only what is new
            NDArray flat = a.flatten();
            NDArray first = flat.get(0);
            NDArray one = first.toType(DataType.FLOAT32, false);
            one.getFloat();
            for (NDArray made : new NDArray[] {one, first, flat}) {
                if (made != a) {
                    made.close();
                }
            }
        }
    }
}

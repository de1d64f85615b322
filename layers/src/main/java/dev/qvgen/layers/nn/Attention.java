package dev.qvgen.layers.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;

import java.util.Locale;

/**
 * Scaled dot-product attention on (B, H, L, D) tensors, scale 1/sqrt(D), no mask.
 *
 * <p>Three paths, picked by {@link #mode()}:
 *
 * <ul>
 *   <li>{@link Mode#FUSED}: PyTorch's {@code F.scaled_dot_product_attention}, reached through a
 *       tiny committed TorchScript module ({@link ScriptedOp#SDPA}); DJL has no binding for the
 *       op. On CUDA this is the flash / memory-efficient kernel, which never materialises the
 *       (Lq, Lk) score matrix: at Wan2.1's 480x832x81 frames (32760 tokens, 12 heads) that
 *       matrix alone would be 24 GiB in fp16. Gradients flow through it (autograd records the module's ops).
 *   <li>{@link Mode#CHUNKED}: plain DJL ops over blocks of queries, so at most {@link
 *       #CHUNK_SCORES} score entries exist at a time; the fallback when the module cannot be
 *       loaded (another engine, a libtorch that rejects the file).
 *   <li>{@link Mode#PLAIN}: one softmax over the whole score matrix (the reference; short sequences).
 * </ul>
 *
 * <p>The default is FUSED when the module loads, else CHUNKED; the system property {@code
 * qvgen.attention} ({@code fused}, {@code chunked}, {@code plain}) forces one.
 */
public final class Attention {
    /** Score entries (B*H*chunk*Lk) the chunked path allows at once: 2^27 (512 MiB in float32). */
    public static final long CHUNK_SCORES = 1L << 27;

    /** Attention implementation. */
    public enum Mode { FUSED, CHUNKED, PLAIN }

    private Attention() {}

    public static NDArray scaledDotProduct(NDArray q, NDArray k, NDArray v) {
        return scaledDotProduct(q, k, v, mode());
    }

    public static NDArray scaledDotProduct(NDArray q, NDArray k, NDArray v, Mode mode) {
        if (Autocast.applies(q)) {
            return Autocast.inFloat32(q, () -> attend(Autocast.half(q), Autocast.half(k), Autocast.half(v), mode));
        }
        return attend(q, k, v, mode);
    }

    private static NDArray attend(NDArray q, NDArray k, NDArray v, Mode mode) {
        return OpClock.time(OpClock.Kind.ATTENTION, q, () -> switch (mode) {
            case FUSED -> fused(q, k, v);
            case CHUNKED -> chunked(q, k, v, CHUNK_SCORES);
            case PLAIN -> plain(q, k, v);
        });
    }

    /** The path {@link #scaledDotProduct(NDArray, NDArray, NDArray)} takes. */
    public static Mode mode() {
        String forced = System.getProperty("qvgen.attention");
        if (forced != null && !forced.isBlank()) {
            try {
                return Mode.valueOf(forced.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("qvgen.attention=" + forced + ": expected fused, chunked or plain");
            }
        }
        return ScriptedOp.SDPA.available() ? Mode.FUSED : Mode.CHUNKED;
    }

    /** Why the fused module is not available, or null if it is (loading it first if needed). */
    public static String fusedUnavailableReason() {
        return ScriptedOp.SDPA.unavailableReason();
    }

    static NDArray plain(NDArray q, NDArray k, NDArray v) {
        long d = q.getShape().get(q.getShape().dimension() - 1);
        NDArray scores = Scalars.mul(q.matMul(k.swapAxes(-1, -2)), (float) (1.0 / Math.sqrt(d)));
        return scores.softmax(-1).matMul(v);
    }

    /** The plain path over query blocks of at most {@code maxScores / (B*H*Lk)} rows. */
    public static NDArray chunked(NDArray q, NDArray k, NDArray v, long maxScores) {
        Shape s = q.getShape();
        int n = s.dimension();
        long lq = s.get(n - 2);
        long lk = k.getShape().get(n - 2);
        long rowsAbove = s.size() / (lq * s.get(n - 1)); // B*H
        long chunk = Math.max(1, maxScores / Math.max(1, rowsAbove * lk));
        if (chunk >= lq) {
            return plain(q, k, v);
        }
        NDArray kt = k.swapAxes(-1, -2);
        float scale = (float) (1.0 / Math.sqrt(s.get(n - 1)));
        NDList parts = new NDList();
        for (long start = 0; start < lq; start += chunk) {
            long end = Math.min(lq, start + chunk);
            long from = start;
            // each block's scores are freed before the next block's are made
            parts.add(Scopes.scoped(() -> Scalars.mul(q.get("..., {}:{}, :", from, end).matMul(kt), scale)
                    .softmax(-1).matMul(v)));
        }
        return NDArrays.concat(parts, n - 2);
    }

    static NDArray fused(NDArray q, NDArray k, NDArray v) {
        return ScriptedOp.SDPA.apply(q, k, v);
    }
}
